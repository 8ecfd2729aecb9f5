package org.crate4j.model;

import com.google.gson.Gson;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;

/**
 * Our safetensors, the same for every family: the model's state dict, and as metadata its
 * {@code format} tag, its config as JSON under {@code config}, then whatever the caller adds
 * (preprocessing, training state).
 */
public final class FamilySafetensors {
    private static final Gson GSON = new Gson();

    private FamilySafetensors() {}

    /** Writes {@code model}'s {@link ImageClassifier#stateDict()} with its format and config. Atomic. */
    public static void write(ImageClassifier model, Path path, Map<String, String> extraMetadata) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        model.stateDict().forEach((k, t) -> out.put(k, raw(t)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", model.format());
        meta.put("config", model.configJson());
        meta.putAll(extraMetadata);
        Safetensors.write(path, out, meta);
    }

    /** fp32, except an int64 scalar (BatchNorm's batch count), which stays one. */
    static RawTensor raw(Tensor t) {
        if (t.scalar_type().value == torch.ScalarType.Long.value && t.numel() == 1) {
            byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, t.item_long()).array();
            return new RawTensor(DType.I64, Torch.shape(t), b);
        }
        return RawTensor.ofFloats(Torch.toFloats(t), Torch.shape(t));
    }

    /** A config record as the JSON our metadata holds: its components in order. */
    public static String json(Object config) {
        return GSON.toJson(config);
    }

    /** The config record {@code type} from our metadata's JSON; a check of the record fails with its own message, not Gson's. */
    public static <T> T config(String json, Class<T> type, String family) {
        T c;
        try {
            c = GSON.fromJson(json, type);
        } catch (RuntimeException e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof CrateException)) {
                cause = cause.getCause();
            }
            String why = String.valueOf(cause.getMessage()).lines().findFirst().orElse(""); // Gson adds a troubleshooting link on a line of its own
            throw new CrateException(family + " config in metadata is not valid: " + why, e);
        }
        if (c == null) {
            throw new CrateException(family + " config in metadata is empty");
        }
        return c;
    }
}

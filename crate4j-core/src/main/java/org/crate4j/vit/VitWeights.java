package org.crate4j.vit;

import com.google.gson.Gson;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.model.LoadOptions;
import org.crate4j.model.StrictLoad;

/**
 * Loads and saves ViT weights: timm state dicts (torch.save files read by the safe unpickler, or
 * timm's safetensors; keys checked strictly by name and shape) and our safetensors with the config
 * as metadata.
 */
public final class VitWeights {
    public static final String FORMAT = CheckpointKind.VIT_FORMAT;
    private static final Gson GSON = new Gson();

    private VitWeights() {}

    public static VisionTransformer load(Path path, LoadOptions opt) {
        return load(WeightsFile.read(path), opt);
    }

    /** The model on {@code device}: read to host memory, then moved. */
    public static VisionTransformer load(Path path, LoadOptions opt, Device device) {
        return load(WeightsFile.read(path), opt).to(device);
    }

    /** Builds the model from an already-read file; with {@code noHead} the head is freshly initialised. */
    public static VisionTransformer load(WeightsFile file, LoadOptions opt) {
        VitConfig config = configFor(file, opt);
        Map<String, Tensor> values = StrictLoad.values(file, config.parameterSpecs(), VitKeys.HEAD + ".", opt.noHead(), hint(config),
                VitInit::draw);
        return VisionTransformer.fromTensors(config, values);
    }

    /** The architecture: our metadata when present, else read off the shapes ({@link VitLayout}). */
    public static VitConfig configFor(WeightsFile file, LoadOptions opt) {
        String json = file.metadata().get("config");
        if (json != null && FORMAT.equals(file.metadata().get("format"))) {
            VitConfig c = fromJson(json);
            return opt.noHead() && opt.classes() > 0 ? c.with(b -> b.classes(opt.classes())) : c;
        }
        return VitLayout.infer(file.path().toString(), file.shapes(), opt);
    }

    /** Writes our safetensors: the tensors plus the config and any extra metadata. Atomic. */
    public static void save(VisionTransformer model, Path path, Map<String, String> extraMetadata) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        model.parameters().asMap().forEach((k, t) -> out.put(k, RawTensor.ofFloats(Torch.toFloats(t), Torch.shape(t))));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("config", toJson(model.config()));
        meta.putAll(extraMetadata);
        Safetensors.write(path, out, meta);
    }

    public static String toJson(VitConfig c) {
        return GSON.toJson(c);
    }

    public static VitConfig fromJson(String json) {
        VitConfig c;
        try {
            c = GSON.fromJson(json, VitConfig.class);
        } catch (RuntimeException e) {
            // Gson wraps what the record's checks throw; name the check, not Gson
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof CrateException)) {
                cause = cause.getCause();
            }
            throw new CrateException("ViT config in metadata is not valid: " + cause.getMessage(), e);
        }
        if (c == null) {
            throw new CrateException("ViT config in metadata is empty");
        }
        return c;
    }

    private static String hint(VitConfig c) {
        return "model built as ViT dim " + c.dim() + ", depth " + c.depth() + ", heads " + c.heads() + ", MLP "
                + c.mlpHidden() + ", patch " + c.patchSize() + ", image " + c.imageHeight() + "x" + c.imageWidth()
                + ", classes " + c.numClasses() + " (pass heads, image size or a preset to change)";
    }
}

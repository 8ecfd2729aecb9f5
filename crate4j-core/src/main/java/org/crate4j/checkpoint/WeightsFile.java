package org.crate4j.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.io.Inputs;

/**
 * A weights file of either kind: a {@code torch.save} checkpoint (read safely) or our
 * safetensors, with its metadata. Keys are unwrapped and stripped of {@code module.}.
 */
public record WeightsFile(Path path, LinkedHashMap<String, RawTensor> tensors, Map<String, String> metadata) {
    /** Keys of optimizer state inside our training checkpoints; not weights. */
    public static final String OPTIMIZER_PREFIX = "optimizer/";

    public static WeightsFile read(Path path) {
        Inputs.requireFile(path, "weights file");
        if (isSafetensors(path)) {
            Safetensors.Contents c = Safetensors.read(path);
            LinkedHashMap<String, RawTensor> weights = new LinkedHashMap<>(c.tensors());
            weights.keySet().removeIf(k -> k.startsWith(OPTIMIZER_PREFIX)); // training checkpoints carry optimizer state
            return new WeightsFile(path, weights, c.metadata());
        }
        return new WeightsFile(path, TorchCheckpoint.readStateDict(path), Map.of());
    }

    public Map<String, long[]> shapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        tensors.forEach((k, v) -> s.put(k, v.shape()));
        return s;
    }

    /** Keys under {@code prefix}, with the prefix removed (e.g. an encoder inside a larger model). */
    public WeightsFile withPrefixStripped(String prefix) {
        LinkedHashMap<String, RawTensor> t = new LinkedHashMap<>();
        tensors.forEach((k, v) -> t.put(k.startsWith(prefix) ? k.substring(prefix.length()) : k, v));
        return new WeightsFile(path, t, metadata);
    }

    public WeightsFile without(String keyPrefix) {
        LinkedHashMap<String, RawTensor> t = new LinkedHashMap<>(tensors);
        t.keySet().removeIf(k -> k.startsWith(keyPrefix));
        return new WeightsFile(path, t, metadata);
    }

    private static boolean isSafetensors(Path path) {
        String n = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".safetensors") || n.endsWith(".st");
    }
}

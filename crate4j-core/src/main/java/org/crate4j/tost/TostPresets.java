package org.crate4j.tost;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * The ToST vision presets by name, as the reference registers them ({@code tost_cab_*}): ImageNet
 * 224², 1000 classes, MLP ratio 4, {@code qkv} with bias, tokens_norm, two class-attention blocks.
 * 12-layer models start their layer scales at 1, 24-layer ones at 1e-5.
 */
public final class TostPresets {
    private static final Map<String, TostConfig> TABLE = new LinkedHashMap<>();

    static {
        for (int patch : new int[] {16, 8}) {
            put("tiny-12", patch, 192, 12, 4, 1.0);
            put("small-12", patch, 384, 12, 8, 1.0);
            put("tiny-24", patch, 192, 24, 4, 1e-5);
            put("small-24", patch, 384, 24, 8, 1e-5);
            put("medium-24", patch, 512, 24, 8, 1e-5);
            put("large-24", patch, 768, 24, 16, 1e-5);
        }
        // The width, depth and heads of crate-fmnist for side-by-side runs on Fashion-MNIST: grey
        // images resized to 32 x 32 so that the three-stage (patch 8) stem makes an exact 4 x 4 grid.
        TABLE.put("tost-fmnist", TostConfig.builder().imageSize(32).patchSize(8).channels(1).classes(10)
                .dim(128).depth(6).heads(4).build());
    }

    private TostPresets() {}

    private static void put(String size, int patch, int dim, int depth, int heads, double eta) {
        TABLE.put("tost-cab-" + size + "-p" + patch, TostConfig.builder().patchSize(patch).dim(dim).depth(depth)
                .heads(heads).layerScale(eta).build());
    }

    public static TostConfig get(String name) {
        TostConfig c = TABLE.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new CrateException("unknown ToST model '" + name + "': choose one of " + String.join(", ", TABLE.keySet()));
        }
        return c;
    }

    public static boolean exists(String name) {
        return TABLE.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public static Map<String, TostConfig> all() {
        return Collections.unmodifiableMap(TABLE);
    }
}

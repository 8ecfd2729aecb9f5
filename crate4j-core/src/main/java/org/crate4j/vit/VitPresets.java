package org.crate4j.vit;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;

/** ViT sizes by name: timm's {@code vit_tiny/small/base_patch16_224} (224 × 224, 1000 classes, head width 64, MLP 4·d). */
public final class VitPresets {
    private static final Map<String, VitConfig> TABLE = new LinkedHashMap<>();

    static {
        VitConfig base = VitConfig.builder().build();                                   // d 768, L 12, h 12
        TABLE.put("vit-tiny", base.with(b -> b.dim(192).heads(3).mlpHidden(4 * 192)));
        TABLE.put("vit-small", base.with(b -> b.dim(384).heads(6).mlpHidden(4 * 384)));
        TABLE.put("vit-base", base);
        // The width, depth and heads of crate-fmnist (28 × 28 grey, 10 classes, 7 × 7 patches), for
        // side-by-side runs with CRATE and CRATE-α on Fashion-MNIST.
        TABLE.put("vit-fmnist", VitConfig.builder().imageSize(28).patchSize(7).channels(1).classes(10)
                .dim(128).depth(6).heads(4).build());
    }

    private VitPresets() {}

    public static VitConfig get(String name) {
        VitConfig c = TABLE.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new CrateException("unknown ViT model '" + name + "': choose one of " + String.join(", ", TABLE.keySet()));
        }
        return c;
    }

    public static boolean exists(String name) {
        return TABLE.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public static Map<String, VitConfig> all() {
        return Collections.unmodifiableMap(TABLE);
    }
}

package org.crate4j.alpha;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * CRATE-α sizes by name. The ImageNet ones are the paper's B/16, B/32 and L/14 (224 × 224, 1000
 * classes, head width 64, dictionaries 4× overcomplete, η = λ = 0.1); PyTorch weights are published
 * for B/16 and L/14.
 */
public final class AlphaPresets {
    private static final Map<String, AlphaConfig> TABLE = new LinkedHashMap<>();

    static {
        AlphaConfig base = AlphaConfig.builder().build();                               // B/16: d 768, L 12, h 12
        TABLE.put("crate-alpha-b16", base);
        TABLE.put("crate-alpha-b32", base.with(b -> b.patchSize(32)));
        TABLE.put("crate-alpha-l14", base.with(b -> b.patchSize(14).dim(1024).depth(24).heads(16).headDim(64)));
        // The width, depth and heads of crate-fmnist (28 × 28 grey, 10 classes, 7 × 7 patches), for
        // side-by-side runs on Fashion-MNIST; class-token pooling as in the reference.
        TABLE.put("crate-alpha-fmnist", AlphaConfig.builder().imageSize(28).patchSize(7).channels(1).classes(10)
                .dim(128).depth(6).heads(4).build());
    }

    private AlphaPresets() {}

    public static AlphaConfig get(String name) {
        AlphaConfig c = TABLE.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new CrateException("unknown CRATE-α model '" + name + "': choose one of " + String.join(", ", TABLE.keySet()));
        }
        return c;
    }

    public static boolean exists(String name) {
        return TABLE.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public static Map<String, AlphaConfig> all() {
        return Collections.unmodifiableMap(TABLE);
    }
}

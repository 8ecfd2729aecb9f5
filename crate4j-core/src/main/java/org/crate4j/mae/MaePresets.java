package org.crate4j.mae;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * The CRATE-MAE presets by name: those of architecture §2 (image 224, patch 16, 3 channels, encoder = decoder)
 * and a small one for Fashion-MNIST pre-training on a CPU.
 */
public final class MaePresets {
    private static final Map<String, MaeConfig> TABLE = new LinkedHashMap<>();

    static {
        TABLE.put("crate-mae-tiny", MaeConfig.of(224, 16, 3, 384, 12, 6));
        TABLE.put("crate-mae-small", MaeConfig.of(224, 16, 3, 576, 12, 12));
        TABLE.put("crate-mae-base", MaeConfig.of(224, 16, 3, 768, 12, 12));
        TABLE.put("crate-mae-large", MaeConfig.of(224, 16, 3, 1024, 24, 16));
        // 28×28 grey, 7×7 patches of 4 pixels, a two-layer decoder and per-patch normalised targets:
        // small enough for several epochs in 15 CPU minutes (NOTES.md has the measurements behind it)
        TABLE.put("crate-mae-fmnist", MaeConfig.of(28, 4, 1, 64, 4, 4).withShape(4, 64, 4, 4, 2).withNormPixLoss(true));
    }

    private MaePresets() {}

    public static MaeConfig get(String name) {
        MaeConfig c = TABLE.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new CrateException("unknown MAE model '" + name + "': choose one of " + String.join(", ", TABLE.keySet()));
        }
        return c;
    }

    public static boolean exists(String name) {
        return TABLE.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public static Map<String, MaeConfig> all() {
        return Collections.unmodifiableMap(TABLE);
    }
}

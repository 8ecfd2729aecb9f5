package org.crate4j.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.crate4j.CrateException;

/** The classifier presets by name, after timm's {@code create_model} table. */
public final class Presets {
    private static final Map<String, CrateConfig> TABLE = new LinkedHashMap<>();
    /**
     * Presets that describe published checkpoint files rather than architectures to train: a file
     * in exactly one of these shapes is that checkpoint, so its heads are known.
     */
    private static final Set<String> PUBLISHED = Set.of("crate-base-demo", "crate-small-21k", "crate-base-21k", "crate-base-768");

    static {
        // docs/architecture.md §1: image 224, patch 16, 3 channels, 1000 classes.
        TABLE.put("crate-tiny", CrateConfig.of(224, 16, 3, 1000, 384, 12, 6));
        TABLE.put("crate-small", CrateConfig.of(224, 16, 3, 1000, 576, 12, 12));
        TABLE.put("crate-base", CrateConfig.of(224, 16, 3, 1000, 768, 12, 12));
        TABLE.put("crate-large", CrateConfig.of(224, 16, 3, 1000, 1024, 24, 16));
        // The segmentation paper's patch-8 variants.
        TABLE.put("crate-small-p8", CrateConfig.of(224, 8, 3, 1000, 576, 12, 12));
        TABLE.put("crate-base-p8", CrateConfig.of(224, 8, 3, 1000, 768, 12, 12));
        // The checkpoints published with the segmentation paper's notebooks (Yu et al., 2023), each
        // under a 'model' key, ImageNet-21k heads (21,842 classes). The demo's crate-demo.pth has 6
        // heads of width 128 and a classifier in two stages: mlp_head = LN + Linear(768 → 768), then
        // head = Linear(768 → 21,842). crate-base-768's one-stage head outputs 768 values, not classes.
        TABLE.put("crate-base-demo", CrateConfig.of(224, 8, 3, 21842, 768, 12, 6).withHeadHidden(768));
        TABLE.put("crate-small-21k", CrateConfig.of(224, 8, 3, 21842, 384, 12, 6));
        TABLE.put("crate-base-21k", CrateConfig.of(224, 8, 3, 21842, 768, 12, 12));
        TABLE.put("crate-base-768", CrateConfig.of(224, 8, 3, 768, 768, 12, 12));
        // The default model of `crate train` on Fashion-MNIST (28×28 grey, 10 classes): 7×7 patches,
        // so 16 patch tokens, each embedded from the 11×11 window around it. Chosen by measurement
        // (NOTES.md): in a 10-minute budget on 2 cores it beat 4×4 patches with d96/L4 and d64/L6,
        // which cost 1.5× more per image; the overlapping windows add about 0.6 points
        // (three seeds) for 2.7 % more multiply-adds per image (flopsPerImage: 11.41 vs 11.12 MFLOP).
        // Each window is then coded against 256 atoms (a one-step sparse code, ReLU(W·x + b)) before
        // the embedding: a nonlinear view of the local strokes before the first attention layer,
        // for 13.5 % more multiply-adds (flopsPerImage: 12.96 MFLOP); see NOTES.md, session 6.
        TABLE.put("crate-fmnist", CrateConfig.of(28, 7, 1, 10, 128, 6, 4).withPool(Pooling.MEAN).withPatchWindow(11).withPatchCode(256));
    }

    private Presets() {}

    public static CrateConfig get(String name) {
        CrateConfig c = TABLE.get(name.toLowerCase(Locale.ROOT));
        if (c == null) {
            throw new CrateException("unknown model '" + name + "': choose one of " + String.join(", ", TABLE.keySet()));
        }
        return c;
    }

    public static boolean exists(String name) {
        return TABLE.containsKey(name.toLowerCase(Locale.ROOT));
    }

    /**
     * The presets whose weights have every shape of {@code c}'s, whatever their heads (the shapes
     * fix only the qkv width h·k, not h): same width, depth, qkv width, patch, window, code,
     * channels, position grid, classes and head stages.
     */
    public static List<String> sameShapes(CrateConfig c) {
        List<String> out = new ArrayList<>();
        TABLE.forEach((name, p) -> {
            if (p.dim() == c.dim() && p.depth() == c.depth() && p.innerDim() == c.innerDim() && p.patchSize() == c.patchSize()
                    && p.patchWindow() == c.patchWindow() && p.patchCode() == c.patchCode() && p.channels() == c.channels()
                    && p.gridHeight() == c.gridHeight() && p.gridWidth() == c.gridWidth() && p.numClasses() == c.numClasses()
                    && p.headHidden() == c.headHidden() && p.mssa() == c.mssa()) {
                out.add(name);
            }
        });
        return out;
    }

    /** Whether the preset describes a published checkpoint file (see {@link #PUBLISHED}). */
    public static boolean isPublished(String name) {
        return PUBLISHED.contains(name.toLowerCase(Locale.ROOT));
    }

    public static Map<String, CrateConfig> all() {
        return java.util.Collections.unmodifiableMap(TABLE);
    }
}

package org.crate4j.cli;

import org.crate4j.CrateException;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.MssaOutput;
import org.crate4j.model.Pooling;
import picocli.CommandLine.Option;

/** Overrides of a preset's architecture; each applies only when given. */
final class ArchitectureOptions {
    @Option(names = "--dim", description = "override the preset's width")
    Integer dim;
    @Option(names = "--depth", description = "override the preset's depth")
    Integer depth;
    @Option(names = "--heads", description = "override the preset's heads")
    Integer heads;
    @Option(names = "--patch", description = "override the preset's patch size")
    Integer patch;
    @Option(names = "--pool", description = "cls or mean (default: the preset's)")
    String pool;
    @Option(names = "--patch-window", paramLabel = "K", description = "embed each patch with a K×K window around it (K = patch + an even margin; "
            + "neighbouring tokens overlap). Default: the preset's, or the patch size when --patch is given")
    Integer patchWindow;
    @Option(names = "--patch-code", paramLabel = "N", description = "code each patch window against N learned atoms (ReLU(W·x + b), "
            + "a one-step sparse code) before embedding it; 0 embeds the pixels as the reference does. Default: the preset's")
    Integer patchCode;
    @Option(names = "--mssa", paramLabel = "FORM", description = "free: MSSA's output projection is a learned matrix, as in the reference code; "
            + "tied: each head returns through its own subspace basis, [U_1 ... U_K] times a learned scale per layer, as in the paper's "
            + "MSSA operator (default: the preset's, free)")
    String mssa;

    /** Refuses a misspelt option before any process is launched, data read or file written. */
    void validate() {
        if (mssa != null) {
            MssaOutput.parse(mssa);
        }
    }

    /** Fails in one line when an override is given for a preset of another family than CRATE's (they shape CRATE only). */
    void requireNone(String preset) {
        if (dim != null || depth != null || heads != null || patch != null || pool != null || patchWindow != null || patchCode != null) {
            throw new CrateException("--dim, --depth, --heads, --patch, --pool, --patch-window and --patch-code shape CRATE presets only, not "
                    + preset + ": drop them or train a crate-* preset");
        }
    }

    /** The preset at {@code size}×{@code size} with the overrides applied. */
    CrateConfig apply(CrateConfig preset, int size) {
        int p = patch != null ? patch : preset.patchSize();
        if (size % p != 0) {
            throw new CrateException("image size " + size + " is not divisible by the patch size " + p + ": change --image-size or --patch");
        }
        int d = dim != null ? dim : preset.dim(), h = heads != null ? heads : preset.heads();
        CrateConfig c = dim == null && heads == null && patch == null && depth == null ? preset.withImageSize(size, size)
                : CrateConfig.of(size, p, preset.channels(), preset.numClasses(), d, depth != null ? depth : preset.depth(), h)
                        .withPool(preset.pool());
        if (patchWindow != null) {
            c = c.withPatchWindow(patchWindow);
        } else if (patch == null) { // other overrides rebuild the config: keep the preset's windows
            c = c.withPatchWindow(preset.patchWindow());
        }
        c = c.withPatchCode(patchCode != null ? patchCode : preset.patchCode());
        c = c.withMssa(mssa != null ? MssaOutput.parse(mssa) : preset.mssa());
        return pool != null ? c.withPool(Pooling.parse(pool)) : c;
    }
}

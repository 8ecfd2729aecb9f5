package org.crate4j.zoo;

import java.nio.file.Path;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaePresets;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.Presets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The preset a user names beside a weights file ({@code --model}), treated alike by every loader.
 * A name that is no preset of the file's family is an error. Our safetensors carry their config, so
 * for them a preset of another architecture is only a warning: the file wins, since its tensors
 * have the file's shapes. (A reference checkpoint leaves heads open, and the preset fills them.)
 */
public final class NamedPreset {
    private static final Logger LOG = LoggerFactory.getLogger(NamedPreset.class);

    private NamedPreset() {}

    /** Refuses a {@code preset} (null: none) that is not one of {@code kind}'s presets. */
    public static void requireOf(CheckpointKind kind, String preset, Path file) {
        if (preset == null) {
            return;
        }
        boolean classifier = Presets.exists(preset), mae = MaePresets.exists(preset);
        if (kind == CheckpointKind.CLASSIFIER && !classifier || kind == CheckpointKind.MAE && !mae) {
            String other = classifier ? "a CRATE classifier preset" : mae ? "a CRATE-MAE preset" : null;
            String choices = String.join(", ", (kind == CheckpointKind.MAE ? MaePresets.all() : Presets.all()).keySet());
            throw new CrateException(other != null
                    ? "--model " + preset + " is " + other + " but " + file + " is " + kind.label() + ": drop --model or name one of "
                            + choices
                    : "unknown model '" + preset + "': choose one of " + choices);
        }
    }

    /** For a file whose metadata holds its classifier config: warns when the named preset has another architecture. */
    public static void warnIfOther(String preset, Path file, CrateConfig saved) {
        if (preset != null) {
            warnIfOther(preset, architecture(Presets.get(preset)), file, architecture(saved));
        }
    }

    /** The same for a CRATE-MAE file. */
    public static void warnIfOther(String preset, Path file, MaeConfig saved) {
        if (preset != null) {
            warnIfOther(preset, architecture(MaePresets.get(preset)), file, architecture(saved));
        }
    }

    private static void warnIfOther(String preset, String named, Path file, String saved) {
        if (!named.equals(saved)) {
            LOG.warn("--model {} ({}) is not what {} says it is ({}): the file wins, --model is ignored", preset, named, file, saved);
        }
    }

    /** What fixes the tensors' shapes and the attention; the classes and the input size may differ from a preset's. */
    static String architecture(CrateConfig c) {
        return "dim " + c.dim() + ", depth " + c.depth() + ", " + c.heads() + " heads of width " + c.headDim() + ", patch " + c.patchSize()
                + (c.patchWindow() > c.patchSize() ? " in " + c.patchWindow() + "x" + c.patchWindow() + " windows" : "")
                + (c.patchCode() > 0 ? ", " + c.patchCode() + " code atoms" : "");
    }

    static String architecture(MaeConfig c) {
        return "dim " + c.encoderDim() + ", depth " + c.encoderDepth() + " + decoder " + c.decoderDepth() + ", " + c.encoderHeads() + "/"
                + c.decoderHeads() + " heads, patch " + c.patchSize();
    }
}

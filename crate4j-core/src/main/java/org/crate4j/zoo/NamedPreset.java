package org.crate4j.zoo;

import java.nio.file.Path;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.mae.MaePresets;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.Presets;

/**
 * The preset a user names beside a CRATE or CRATE-MAE weights file ({@code --model}), checked
 * against both families: a name that is no preset of the file's family is an error, and one of
 * the other family's says so. (Each loader checks its own family; only the registry knows both.)
 */
public final class NamedPreset {
    private NamedPreset() {}

    /** Refuses a {@code preset} (null: none) that is not one of {@code kind}'s presets. */
    public static void requireOf(CheckpointKind kind, String preset, Path file) {
        if (kind == CheckpointKind.MAE) {
            MaeWeights.requirePreset(preset, file);
        }
        if (kind != CheckpointKind.CLASSIFIER || preset == null || Presets.exists(preset)) {
            return;
        }
        String choices = String.join(", ", Presets.all().keySet());
        throw new CrateException(MaePresets.exists(preset)
                ? "--model " + preset + " is a CRATE-MAE preset but " + file + " is " + kind.label() + ": drop --model or name one of "
                        + choices
                : "unknown model '" + preset + "': choose one of " + choices);
    }
}

package org.crate4j.model;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A preset named beside a file whose metadata says what it is: the file wins, since its tensors
 * have the file's shapes, and a preset of another architecture is only a warning.
 */
public final class PresetMismatch {
    private static final Logger LOG = LoggerFactory.getLogger(PresetMismatch.class);

    private PresetMismatch() {}

    /** Warns when {@code named} (the preset's architecture) is not {@code saved} (the file's). */
    public static void warn(String preset, String named, Path file, String saved) {
        if (!named.equals(saved)) {
            LOG.warn("--model {} ({}) is not what {} says it is ({}): the file wins, --model is ignored", preset, named, file, saved);
        }
    }
}

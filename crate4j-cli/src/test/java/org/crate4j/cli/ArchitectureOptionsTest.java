package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.crate4j.model.CrateConfig;
import org.crate4j.model.Presets;
import org.junit.jupiter.api.Test;

class ArchitectureOptionsTest {
    @Test
    void patchWindowFollowsThePresetUnlessThePatchChanges() {
        CrateConfig preset = Presets.get("crate-fmnist");
        assertEquals(11, preset.patchWindow());
        ArchitectureOptions o = new ArchitectureOptions();
        assertEquals(11, o.apply(preset, 28).patchWindow());
        o.dim = 64;
        o.heads = 2;
        assertEquals(11, o.apply(preset, 28).patchWindow(), "a width override keeps the preset's windows");
        o.patch = 4;
        assertEquals(4, o.apply(preset, 28).patchWindow(), "another patch size starts without overlap");
        o.patchWindow = 8;
        assertEquals(8, o.apply(preset, 28).patchWindow());
        o.patch = null;
        o.patchWindow = 7;
        assertEquals(7, o.apply(preset, 28).patchWindow(), "--patch-window 7 turns the overlap off");
    }

    @Test
    void patchCodeFollowsThePresetUnlessGiven() {
        CrateConfig preset = Presets.get("crate-fmnist");
        assertEquals(256, preset.patchCode());
        assertEquals(0, Presets.get("crate-tiny").patchCode(), "the reference presets embed pixels");
        ArchitectureOptions o = new ArchitectureOptions();
        o.depth = 4;
        assertEquals(256, o.apply(preset, 28).patchCode(), "a depth override keeps the preset's code");
        o.patchCode = 0;
        assertEquals(0, o.apply(preset, 28).patchCode(), "--patch-code 0 embeds the pixels");
        o.patchCode = 96;
        assertEquals(96, o.apply(preset, 28).patchCode());
    }
}

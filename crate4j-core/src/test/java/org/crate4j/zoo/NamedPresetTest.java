package org.crate4j.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@code --model} beside a file that says what it is: no such preset fails, another preset is ignored (the file wins). */
class NamedPresetTest {
    @TempDir
    Path tmp;

    private Path classifier() {
        Torch.seed(1);
        Path file = tmp.resolve("c.safetensors");
        CrateWeights.save(Crate.create(CrateConfig.of(8, 4, 1, 3, 16, 2, 2)), file, Map.of());
        return file;
    }

    private Path mae() {
        Path file = tmp.resolve("m.safetensors");
        MaeWeights.save(CrateMae.create(MaeConfig.of(8, 4, 1, 16, 1, 2)), file, Map.of());
        return file;
    }

    private static CrateWeights.Options named(String preset) {
        return new CrateWeights.Options(preset, 0, false, 0, null);
    }

    private static MaeWeights.Options maeNamed(String preset) {
        return new MaeWeights.Options(preset, 0, 0, false, null, null, null);
    }

    @Test
    void aNameThatIsNoPresetIsAnErrorEvenWhenTheFileNeedsNone() {
        WeightsFile file = WeightsFile.read(classifier());
        CrateException e = assertThrows(CrateException.class, () -> CrateWeights.configFor(file, named("crate-tinny")));
        assertTrue(e.getMessage().startsWith("unknown model 'crate-tinny': choose one of crate-tiny, crate-small"), e.getMessage());
        MaeWeights.Source src = MaeWeights.read(mae());
        e = assertThrows(CrateException.class, () -> MaeWeights.configFor(src, maeNamed("crate-mae-huge")));
        assertTrue(e.getMessage().startsWith("unknown model 'crate-mae-huge': choose one of crate-mae-tiny"), e.getMessage());
    }

    @Test
    void aPresetOfTheOtherFamilyIsAnErrorThatNamesTheFamily() {
        WeightsFile file = WeightsFile.read(classifier());
        CrateException e = assertThrows(CrateException.class,
                () -> NamedPreset.requireOf(CheckpointKind.CLASSIFIER, "crate-mae-base", file.path()));
        assertTrue(e.getMessage().startsWith("--model crate-mae-base is a CRATE-MAE preset but " + file.path() + " is a CRATE classifier"),
                e.getMessage());
        // the classifier's loader knows its own presets only (it sits below the registry)
        e = assertThrows(CrateException.class, () -> CrateWeights.configFor(file, named("crate-mae-base")));
        assertTrue(e.getMessage().startsWith("unknown model 'crate-mae-base': choose one of crate-tiny"), e.getMessage());
        MaeWeights.Source src = MaeWeights.read(mae());
        e = assertThrows(CrateException.class, () -> MaeWeights.configFor(src, maeNamed("crate-tiny")));
        assertTrue(e.getMessage().startsWith("--model crate-tiny is a CRATE classifier preset but " + src.file().path() + " is a CRATE-MAE"),
                e.getMessage());
        CrateException viaRegistry = assertThrows(CrateException.class,
                () -> NamedPreset.requireOf(CheckpointKind.MAE, "crate-tiny", src.file().path()));
        assertEquals(e.getMessage(), viaRegistry.getMessage());
    }

    @Test
    void anotherPresetGivesWayToTheFilesOwnConfig() {
        WeightsFile file = WeightsFile.read(classifier());
        CrateConfig own = CrateWeights.configFor(file, named(null));
        assertEquals(own, CrateWeights.configFor(file, named("crate-small")));
        assertEquals(16, own.dim());
        MaeWeights.Source src = MaeWeights.read(mae());
        assertEquals(MaeWeights.configFor(src, maeNamed(null)), MaeWeights.configFor(src, maeNamed("crate-mae-base")));
    }

    @Test
    void theArchitectureComparedLeavesOutClassesAndInputSize() {
        CrateConfig tiny = Presets.get("crate-tiny");
        CrateConfig fineTuned = tiny.withClasses(10).withChannels(1).withImageSize(32, 32);
        assertEquals(CrateWeights.architecture(tiny), CrateWeights.architecture(fineTuned));
        assertEquals("dim 384, depth 12, 6 heads of width 64, patch 16", CrateWeights.architecture(tiny));
        assertEquals("dim 128, depth 6, 4 heads of width 32, patch 7 in 11x11 windows, 256 code atoms",
                CrateWeights.architecture(Presets.get("crate-fmnist")));
    }
}

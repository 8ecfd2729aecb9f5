package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The checkpoints published with the segmentation paper's notebooks, at their real sizes, by
 * their shapes alone (no tensors): each is recognised, with the heads the shapes cannot tell.
 */
class EmergenceLayoutsTest {
    // Parameter counts of the notebooks' CRATE_base_demo (with its two-stage head), CRATE_small_21k,
    // CRATE_base_21k and CRATE_base_768, counted in PyTorch from the notebooks' model definitions.
    @ParameterizedTest
    @CsvSource({"crate-base-demo, 6, 128, 768, 39422162", "crate-small-21k, 6, 64, 0, 14118482",
            "crate-base-21k, 12, 64, 0, 38831570", "crate-base-768, 12, 64, 0, 22625664"})
    void everyPublishedLayoutIsReadBackFromItsShapesAlone(String name, int heads, int headDim, int headHidden, long parameters) {
        CrateConfig preset = Presets.get(name);
        assertEquals(heads, preset.heads());
        assertEquals(headDim, preset.headDim());
        assertEquals(headHidden, preset.headHidden());
        assertEquals(parameters, preset.parameterCount());
        assertEquals(preset, CrateWeights.infer(name, preset.parameterShapes(), CrateWeights.Options.defaults()),
                "no --model, no --heads: the shapes name the preset");
    }

    @Test
    void theDemoHeadIsLayerNormAndTwoLinearStages() {
        Map<String, long[]> s = Presets.get("crate-base-demo").parameterShapes();
        assertEquals("[768, 768]", Arrays.toString(s.get("transformer.layers.0.0.fn.qkv.weight")));
        assertEquals("[768]", Arrays.toString(s.get("mlp_head.0.weight")));
        assertEquals("[768, 768]", Arrays.toString(s.get("mlp_head.1.weight")));
        assertEquals("[21842, 768]", Arrays.toString(s.get("head.weight")));
        assertEquals("[21842]", Arrays.toString(s.get("head.bias")));
        assertFalse(Presets.get("crate-base-768").parameterShapes().containsKey("head.weight"), "crate-base-768 has no second stage");
        CrateConfig demo = Presets.get("crate-base-demo");
        CrateConfig firstStageOnly = demo.withHeadHidden(0).withClasses(768);
        assertEquals(firstStageOnly.flopsPerImage() + 2L * 768 * 21842, demo.flopsPerImage(), "the second stage is counted");
        assertEquals(firstStageOnly.parameterCount() + 768L * 21842 + 21842, demo.parameterCount());
    }

    @Test
    void headsThatContradictTheLayoutAreRefused() {
        Map<String, long[]> demo = Presets.get("crate-base-demo").parameterShapes();
        CrateException implicit = assertThrows(CrateException.class,
                () -> CrateWeights.infer("crate-demo.pth", demo, new CrateWeights.Options(null, 12, false, 0, null)));
        assertEquals("crate-demo.pth: --heads 12 contradicts the layout of crate-base-demo, which has 6 heads of width 128: drop --heads",
                implicit.getMessage());
        CrateException named = assertThrows(CrateException.class,
                () -> CrateWeights.infer("crate-demo.pth", demo, new CrateWeights.Options("crate-base-demo", 12, false, 0, null)));
        assertTrue(named.getMessage().contains("--heads 12 contradicts --model crate-base-demo, which has 6 heads of width 128"),
                named.getMessage());
        assertEquals(6, CrateWeights.infer("f", demo, new CrateWeights.Options(null, 6, false, 0, null)).heads(), "agreeing --heads is fine");
        // a generic architecture preset does not fix the heads of a file that merely has its shapes
        Map<String, long[]> base = Presets.get("crate-base").parameterShapes();
        assertEquals(6, CrateWeights.infer("f", base, new CrateWeights.Options(null, 6, false, 0, null)).heads());
    }

    @Test
    void fineTuningDropsTheWholeTwoStageHead() {
        Map<String, long[]> demo = Presets.get("crate-base-demo").parameterShapes();
        CrateConfig c = CrateWeights.infer("f", demo, new CrateWeights.Options(null, 0, true, 10, null));
        assertEquals(0, c.headHidden());
        assertEquals(10, c.numClasses());
        assertEquals(6, c.heads());
        assertEquals("[10, 768]", Arrays.toString(c.parameterShapes().get("mlp_head.1.weight")));
        assertFalse(c.parameterShapes().containsKey("head.weight"));
    }

    @Test
    void configsWrittenBeforeTheTwoStageHeadReadAsOneStage() {
        CrateConfig demo = Presets.get("crate-base-demo");
        assertEquals(demo, ConfigJson.fromJson(ConfigJson.toJson(demo)));
        String old = ConfigJson.toJson(Presets.get("crate-tiny")).replace(",\"headHidden\":0", "");
        assertFalse(old.contains("headHidden"));
        assertEquals(Presets.get("crate-tiny"), ConfigJson.fromJson(old));
    }
}

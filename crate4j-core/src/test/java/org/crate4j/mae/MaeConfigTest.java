package org.crate4j.mae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.engine.Torch;
import org.crate4j.model.Attention;
import org.crate4j.model.ParameterKind;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MaeConfigTest {

    @BeforeAll
    static void natives() {
        Torch.init();
    }

    @Test
    void basePresetHasSpecParameterCountPlusTwoFixedTables() {
        MaeConfig base = MaePresets.get("crate-mae-base");
        assertEquals(44_335_872L, base.parameterCount());
        assertEquals(2L * 197 * 768, base.fixedCount());
        // 4 top-level tensors, patch embedding 2, 8 per encoder layer, norm 2, decoder_embed 2,
        // 8 per decoder layer, decoder_norm 2, decoder_pred 2
        assertEquals(4 + 2 + 12 * 8 + 2 + 2 + 12 * 8 + 2 + 2, base.parameterShapes().size());
    }

    @Test
    void keysFollowTheReferenceLayout() {
        Map<String, long[]> s = MaePresets.get("crate-mae-base").parameterShapes();
        List<String> first = new ArrayList<>(s.keySet()).subList(0, 6);
        assertEquals(List.of("cls_token", "pos_embed", "mask_token", "decoder_pos_embed", "patch_embed.proj.weight",
                "patch_embed.proj.bias"), first);
        assertArrayEquals(new long[] {768, 3, 16, 16}, s.get("patch_embed.proj.weight"));
        assertArrayEquals(new long[] {1, 197, 768}, s.get("decoder_pos_embed"));
        assertArrayEquals(new long[] {768, 768}, s.get("blocks.11.layers.0.1.fn.weight"));
        assertArrayEquals(new long[] {768, 768}, s.get("decoder_blocks.11.layers.0.0.fn.weight"));
        assertFalse(s.containsKey("decoder_blocks.0.layers.0.0.fn.bias"), "decoder dictionary has no bias");
        assertArrayEquals(new long[] {768}, s.get("decoder_blocks.0.layers.0.1.fn.to_out.0.bias"));
        assertArrayEquals(new long[] {768, 768}, s.get("decoder_embed.weight"));
        assertArrayEquals(new long[] {768, 768}, s.get("decoder_pred.weight"));
        assertFalse(MaePresets.get("crate-mae-base").trainableShapes().containsKey("pos_embed"));
    }

    @Test
    void presetsMatchSpecTable() {
        int[][] want = {{384, 12, 6}, {576, 12, 12}, {768, 12, 12}, {1024, 24, 16}};
        String[] names = {"crate-mae-tiny", "crate-mae-small", "crate-mae-base", "crate-mae-large"};
        for (int i = 0; i < names.length; i++) {
            MaeConfig c = MaePresets.get(names[i]);
            assertArrayEquals(want[i], new int[] {c.encoderDim(), c.encoderDepth(), c.encoderHeads()}, names[i]);
            assertArrayEquals(want[i], new int[] {c.decoderDim(), c.decoderDepth(), c.decoderHeads()}, names[i]);
            assertEquals(224, c.imageSize());
            assertEquals(16, c.patchSize());
            assertEquals(0.5, c.lambda());
            assertEquals(0.75, c.maskRatio());
            assertEquals(49, c.keptPatches());
        }
    }

    @Test
    void createdModelCountsExactlyTheTrainableTensors() {
        MaeConfig c = MaeConfig.of(32, 8, 3, 64, 2, 4);
        CrateMae m = CrateMae.create(c);
        assertEquals(c.parameterCount(), m.parameters().count());
        assertEquals(c.trainableShapes().keySet(), m.parameters().names());
        assertEquals(MaeConfig.FIXED_TABLES, m.positionTables().keySet());
        assertFalse(m.positionTables().get("pos_embed").requires_grad());
        assertTrue(m.parameters().get("mask_token").requires_grad());
        assertEquals(new ArrayList<>(c.parameterShapes().keySet()), new ArrayList<>(m.stateDict().keySet()));
    }

    @Test
    void tssaAddsOneTemperaturePerHeadAndLayerToTheCount() {
        MaeConfig base = MaePresets.get("crate-mae-base"), tssa = base.withAttention(Attention.TSSA);
        assertEquals(44_335_872L + 12 * 12 + 12 * 12, tssa.parameterCount(), "temp (12, 1) in 12 encoder and 12 decoder layers");
        assertArrayEquals(new long[] {12, 1}, tssa.parameterShapes().get("blocks.0.layers.0.0.fn.temp"));
        assertArrayEquals(new long[] {12, 1}, tssa.parameterShapes().get("decoder_blocks.11.layers.0.1.fn.temp"));
        List<String> layer = new ArrayList<>(tssa.parameterShapes().keySet()).subList(8, 12);
        assertEquals(List.of("blocks.0.layers.0.0.fn.temp", "blocks.0.layers.0.0.fn.qkv.weight", "blocks.0.layers.0.0.fn.to_out.0.weight",
                "blocks.0.layers.0.0.fn.to_out.0.bias"), layer, "the module's own temp before its qkv and to_out");
        MaeConfig oneHead = MaeConfig.of(32, 8, 3, 64, 2, 1).withAttention(Attention.TSSA);
        assertTrue(oneHead.parameterShapes().containsKey("blocks.0.layers.0.0.fn.to_out.0.weight"), "TSSA projects out even with one head");
        assertTrue(tssa.flopsPerImage() < base.flopsPerImage(), "no n² term");
    }

    @Test
    void freshTssaTemperaturesAreOneAndExemptFromWeightDecay() {
        MaeConfig c = MaeConfig.of(16, 4, 1, 16, 2, 4).withAttention(Attention.TSSA);
        CrateMae m = CrateMae.create(c);
        for (String k : List.of("blocks.1.layers.0.0.fn.temp", "decoder_blocks.0.layers.0.1.fn.temp")) {
            assertArrayEquals(new float[] {1, 1, 1, 1}, Torch.toFloats(m.parameters().get(k)), k);
            assertEquals(ParameterKind.TEMPERATURE, m.kinds().get(k));
            assertFalse(m.kinds().get(k).decays(), k);
        }
        assertTrue(m.kinds().get("blocks.1.layers.0.0.fn.qkv.weight").decays());
        assertFalse(m.kinds().get("cls_token").decays());
        assertFalse(m.kinds().containsKey("pos_embed"), "the fixed tables are not trained");
        assertEquals(m.parameters().names(), m.kinds().keySet());
    }

    @Test
    void configJsonNamesTssaAndLeavesMssaFilesAsTheyWere() {
        MaeConfig mssa = MaePresets.get("crate-mae-fmnist");
        String json = MaeWeights.configToJson(mssa);
        assertFalse(json.contains("attention"), json);
        assertEquals(mssa, MaeWeights.configFromJson(json), "a config without the field reads as MSSA");
        MaeConfig tssa = mssa.withAttention(Attention.TSSA);
        assertTrue(MaeWeights.configToJson(tssa).contains("\"attention\":\"TSSA\""));
        assertEquals(tssa, MaeWeights.configFromJson(MaeWeights.configToJson(tssa)));
        assertEquals(Attention.TSSA, tssa.withShape(4, 32, 2, 2, 1).withImageSize(32).withChannels(3).withMaskRatio(0.5)
                .withNormPixLoss(false).withSparsity(0.2, 0.3).withHeads(4, 2).attention(), "every with* keeps the step");
    }

    @Test
    void refusesDecoderOfAnotherWidth() {
        CrateException e = assertThrows(CrateException.class,
                () -> new MaeConfig(32, 8, 3, 64, 2, 4, 32, 2, 4, 0.1, 0.5, 0.75, false));
        assertTrue(e.getMessage().contains("decoder_embed"), e.getMessage());
    }

    @Test
    void sineCosineTableOfWidthEightByHand() {
        // d = 8: m = 2, ω = (1, 10000^(−1/2) = 0.01); grid 3×3
        float[] t = SinCosTable.values(8, 3, 3);
        assertEquals(10 * 8, t.length);
        for (int j = 0; j < 8; j++) {
            assertEquals(0f, t[j], "class-token row is zero");
        }
        assertRow(t, 1, new double[] {0, 0, 1, 1, 0, 0, 1, 1});                       // (r 0, c 0)
        // row 1 + r·3 + c for r = 1, c = 2: column half encodes 2, row half encodes 1
        assertRow(t, 6, new double[] {Math.sin(2), Math.sin(0.02), Math.cos(2), Math.cos(0.02),
                Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01)});
        assertRow(t, 8, new double[] {Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01),
                Math.sin(2), Math.sin(0.02), Math.cos(2), Math.cos(0.02)});                // (r 2, c 1)
    }

    @Test
    void sineCosineTableOfBaseWidthAtSomePositions() {
        float[] t = SinCosTable.values(768, 14, 14);
        int r = 13, c = 5, row = 1 + r * 14 + c;
        for (int i : new int[] {0, 1, 96, 191}) {
            double w = Math.exp(-Math.log(10000) * i / 192.0);
            assertEquals(Math.sin(c * w), t[row * 768 + i], 1e-6, "col sin " + i);
            assertEquals(Math.cos(c * w), t[row * 768 + 192 + i], 1e-6, "col cos " + i);
            assertEquals(Math.sin(r * w), t[row * 768 + 384 + i], 1e-6, "row sin " + i);
            assertEquals(Math.cos(r * w), t[row * 768 + 576 + i], 1e-6, "row cos " + i);
        }
    }

    private static void assertRow(float[] t, int row, double[] want) {
        for (int j = 0; j < want.length; j++) {
            assertEquals(want[j], t[row * want.length + j], 1e-6, "row " + row + " channel " + j);
        }
    }
}

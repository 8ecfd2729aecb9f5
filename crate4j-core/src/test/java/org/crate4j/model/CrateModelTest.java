package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrateModelTest {
    @TempDir
    Path tmp;

    @Test
    void presetsHaveTheReferenceParameterCounts() {
        assertEquals(6_090_856, Presets.get("crate-tiny").parameterCount());
        assertEquals(13_116_328, Presets.get("crate-small").parameterCount());
        assertEquals(22_796_008, Presets.get("crate-base").parameterCount());
        assertEquals(77_641_192, Presets.get("crate-large").parameterCount());
        assertEquals(108, Presets.get("crate-tiny").parameterShapes().size());
    }

    @Test
    void builtModelMatchesTheConfigsShapesAndInitialisation() {
        Torch.seed(3);
        Crate m = Crate.create(CrateConfig.of(32, 8, 3, 7, 64, 2, 4));
        assertEquals(m.config().parameterCount(), m.parameters().count());
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor d = m.parameters().get("transformer.layers.0.1.fn.weight");
            double bound = Math.sqrt(6.0 / 64);
            assertTrue(d.abs().max().item_double() <= bound, "kaiming-uniform bound √(6/d)");
            assertTrue(d.abs().max().item_double() > 0.9 * bound);
            assertEquals(1.0, m.parameters().get("mlp_head.0.weight").mean().item_double(), 0);
        }
    }

    @Test
    void headsMustDivideTheWidthAndImagesThePatch() {
        CrateException e = assertThrows(CrateException.class, () -> CrateConfig.of(32, 8, 3, 10, 64, 2, 5));
        assertTrue(e.getMessage().contains("heads 5 do not divide the width 64"), e.getMessage());
        assertThrows(CrateException.class, () -> CrateConfig.of(30, 8, 3, 10, 64, 2, 4));
        Crate m = Crate.create(CrateConfig.of(32, 8, 3, 10, 64, 1, 4));
        try (PointerScope s = new PointerScope()) {
            CrateException bad = assertThrows(CrateException.class, () -> m.forward(torch.rand(1, 3, 36, 36)));
            assertTrue(bad.getMessage().contains("not divisible by the patch size 8"), bad.getMessage());
        }
    }

    @Test
    void patchDropoutKeepsARandomSubsetOfTheEmbeddedPatchesInTrainingOnly() {
        Torch.init();
        Crate m = Crate.create(CrateConfig.of(32, 8, 3, 10, 64, 1, 4)); // 16 patches
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = torch.rand(3, 3, 32, 32);
            Tensor full = m.embed(images);
            assertEquals(17, full.size(1));
            m.patchDropout(0.25).train(true);
            Torch.seed(7);
            Tensor kept = m.embed(images);
            assertEquals(1 + 12, kept.size(1), "round(16 × 0.75) patches and the class token");
            assertEquals(0.0, kept.narrow(1, 0, 1).sub(full.narrow(1, 0, 1)).abs().max().item_double(), 1e-6, "class token kept");
            for (int b = 0; b < 3; b++) {
                java.util.Set<Integer> seen = new java.util.HashSet<>();
                for (int j = 1; j < 13; j++) {
                    // each kept token is exactly one of the image's own embedded patches (position included), none twice
                    Tensor d = full.select(0, b).narrow(0, 1, 16).sub(kept.select(0, b).select(0, j)).abs().amax(new long[] {1}, false);
                    int source = (int) d.argmin().item_long();
                    assertEquals(0.0, d.select(0, source).item_double(), 1e-6);
                    assertTrue(seen.add(source), "patch " + source + " kept twice");
                }
            }
            Torch.seed(7);
            assertEquals(0.0, m.embed(images).sub(kept).abs().max().item_double(), 0, "a function of the seed");
            assertEquals(1 + 12, m.forwardFeatures(images, null).size(1));
            m.train(false);
            assertEquals(17, m.embed(images).size(1), "evaluation keeps every patch");
        }
        assertThrows(CrateException.class, () -> m.patchDropout(1.0));
    }

    @Test
    void otherImageSizesUseResizedPositionEmbeddings() {
        Crate m = Crate.create(CrateConfig.of(32, 8, 3, 10, 64, 1, 4));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            assertEquals(10, m.forward(torch.rand(2, 3, 48, 64)).size(1));
            Tensor pos = m.parameters().get("pos_embedding");
            Tensor same = PositionEmbedding.resize(pos, 4, 4, 4, 4);
            assertEquals(0.0, same.sub(pos).abs().max().item_double(), 0);
            Tensor up = PositionEmbedding.resize(pos, 4, 4, 6, 8);
            assertEquals(1 + 48, up.size(1));
            assertEquals(0.0, up.narrow(1, 0, 1).sub(pos.narrow(1, 0, 1)).abs().max().item_double(), 0, "class entry kept");
        }
    }

    @Test
    void safetensorsRoundTripKeepsConfigAndValuesExactly() {
        Torch.seed(5);
        CrateConfig c = CrateConfig.builder().image(24, 40).patchSize(8).channels(1).classes(3).dim(48).depth(2).heads(3).headDim(16)
                .pool(Pooling.MEAN).lambda(0.2).patchWindow(12).patchCode(20).build();
        Crate m = Crate.create(c);
        Path f = tmp.resolve("m.safetensors");
        CrateWeights.save(m, f, Map.of());
        Crate back = CrateWeights.load(f, CrateWeights.Options.defaults());
        assertEquals(c, back.config());
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.rand(2, 1, 24, 40);
            assertEquals(0.0, m.forward(x).sub(back.forward(x)).abs().max().item_double(), 0);
        }
    }

    @Test
    void overlappingWindowsEmbedTheNeighbourhoodOfEachPatch() {
        Torch.init();
        try (PointerScope s = new PointerScope()) {
            Tensor img = torch.arange(new org.bytedeco.pytorch.Scalar(2 * 8 * 12)).to(torch.ScalarType.Float).reshape(1, 2, 8, 12).add(new org.bytedeco.pytorch.Scalar(1));
            assertEquals(0.0, Layers.patchWindows(img, 4, 4).sub(Layers.patchify(img, 4)).abs().max().item_double(), 0, "K = P is patchify");
            Tensor w = Layers.patchWindows(img, 4, 6); // 2×3 grid, 6×6 windows, one pixel of zero padding
            assertEquals("[1, 6, 72]", java.util.Arrays.toString(Torch.shape(w)));
            float[] v = Torch.toFloats(w);
            float[] px = Torch.toFloats(img);
            for (int token = 0; token < 6; token++) {
                int gy = token / 3, gx = token % 3;
                for (int r = 0; r < 6; r++) {
                    for (int col = 0; col < 6; col++) {
                        for (int ch = 0; ch < 2; ch++) {
                            int y = gy * 4 - 1 + r, x = gx * 4 - 1 + col;
                            float want = y < 0 || y >= 8 || x < 0 || x >= 12 ? 0 : px[(ch * 8 + y) * 12 + x];
                            assertEquals(want, v[(token * 6 + r) * 6 * 2 + col * 2 + ch], 0, "token " + token + " (" + r + ", " + col + ", " + ch + ")");
                        }
                    }
                }
            }
        }
        CrateConfig c = CrateConfig.of(28, 7, 1, 10, 32, 1, 2).withPatchWindow(11);
        assertEquals(121, c.patchDim());
        assertEquals(2, c.patchPadding());
        assertEquals(16, c.numPatches());
        CrateException odd = assertThrows(CrateException.class, () -> c.withPatchWindow(10));
        assertTrue(odd.getMessage().contains("patch window 10 must be the patch size 7 plus an even margin"), odd.getMessage());
        assertThrows(CrateException.class, () -> c.withPatchWindow(5));
        // configs written before the window existed read as K = P
        String old = org.crate4j.model.ConfigJson.toJson(CrateConfig.of(28, 7, 1, 10, 32, 1, 2)).replace(",\"patchWindow\":7", "");
        assertTrue(!old.contains("patchWindow"), old);
        assertEquals(7, org.crate4j.model.ConfigJson.fromJson(old).patchWindow());
    }

    @Test
    void patchCodeIsASparseNonNegativeCodeOfEachWindow() {
        Torch.seed(3);
        CrateConfig c = CrateConfig.of(28, 7, 1, 10, 32, 1, 2).withPatchWindow(11).withPatchCode(64);
        assertEquals(64, c.parameterShapes().get("to_patch_embedding.code.weight")[0]);
        assertEquals(121, c.parameterShapes().get("to_patch_embedding.code.weight")[1]);
        assertEquals(64, c.parameterShapes().get("to_patch_embedding.2.weight")[1], "the embedding reads the code, not the pixels");
        assertEquals(c.withPatchCode(0).flopsPerImage() + 2L * 16 * 64 * (121 + 32) - 2L * 16 * 121 * 32, c.flopsPerImage());
        Crate m = Crate.create(c);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = torch.randn(3, 16, 121);
            Tensor code = Layers.patchCode(x, m.parameters().get("to_patch_embedding.code.weight"), m.parameters().get("to_patch_embedding.code.bias"));
            assertEquals("[3, 16, 64]", java.util.Arrays.toString(Torch.shape(code)));
            float[] v = Torch.toFloats(code);
            int zeros = 0;
            for (float f : v) {
                assertTrue(f >= 0);
                zeros += f == 0 ? 1 : 0;
            }
            assertTrue(zeros > v.length / 4 && zeros < v.length, "a sparse code: " + zeros + " of " + v.length + " are zero");
        }
        assertThrows(CrateException.class, () -> c.withPatchCode(-1));
        // configs written before the code existed read as 0 (pixels embedded directly)
        String old = org.crate4j.model.ConfigJson.toJson(c).replace(",\"patchCode\":64", "");
        assertTrue(!old.contains("patchCode"), old);
        assertEquals(0, org.crate4j.model.ConfigJson.fromJson(old).patchCode());
    }

    @Test
    void noHeadDropsTheClassifierForFineTuning() {
        Path pth = ClassifierParityTest.fixture("crate_main_module.pth");
        Crate m = CrateWeights.load(pth, new CrateWeights.Options(null, 4, true, 17, null));
        assertEquals(17, m.config().numClasses());
        assertEquals(17, m.parameters().get("mlp_head.1.weight").size(0));
    }

    @Test
    void misShapedWeightsAreListedInOneLine() {
        Path pth = ClassifierParityTest.fixture("crate_main_module.pth");
        var found = org.crate4j.checkpoint.WeightsFile.read(pth).shapes();
        CrateException e = assertThrows(CrateException.class, () -> org.crate4j.checkpoint.StateDictCheck.requireExact(
                "x.pth", CrateConfig.of(16, 4, 3, 5, 64, 3, 4).parameterShapes(), found, null));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().contains("mis-shaped [pos_embedding is (1, 17, 32) but the model expects (1, 17, 64)"), e.getMessage());
        assertTrue(e.getMessage().contains("missing [transformer.layers.2.0.norm.weight"), e.getMessage());
        CrateException heads = assertThrows(CrateException.class,
                () -> CrateWeights.load(pth, new CrateWeights.Options(null, 5, false, 0, null)));
        assertTrue(heads.getMessage().contains("5 heads do not divide the qkv width 32"), heads.getMessage());
    }
}

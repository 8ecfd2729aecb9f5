package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.Pooling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The class-token attention the library returns is row 0 of the attention PyTorch computed, whole. */
class ClassTokenAttentionTest {
    static final double TOL = 1e-4;

    /** A parity fixture's model, loaded as ClassifierParityTest loads it. */
    static Crate fixtureModel(String name, Safetensors.Contents expected) {
        JsonObject cfg = JsonParser.parseString(expected.metadata().get("config")).getAsJsonObject();
        CrateWeights.Options opt = new CrateWeights.Options(null, cfg.get("heads").getAsInt(), false, 0,
                Pooling.parse(cfg.get("pool").getAsString()))
                .withImage(cfg.get("height").getAsInt(), cfg.get("width").getAsInt(), cfg.get("channels").getAsInt());
        return CrateWeights.load(ClassifierParityTest.fixture(name + ".pth"), opt);
    }

    /** Non-square grids (3×5, 3×4), one head, overlapping windows: every layer, every image, every head. */
    @ParameterizedTest
    @ValueSource(strings = {"crate_main_module", "crate_mean_nonsquare", "crate_one_head", "crate_window", "crate_demo", "crate_features"})
    void equalsPyTorchsAttentionOnTheParityFixtures(String name) {
        Torch.init();
        Safetensors.Contents expected = Safetensors.read(ClassifierParityTest.fixture(name + ".expected.safetensors"));
        Crate model = fixtureModel(name, expected);
        RawTensor images = expected.tensors().get("images");
        Tensor input = Torch.fromFloats(images.toFloats(), images.shape());
        int p = model.config().patchSize(), gh = (int) images.shape()[2] / p, gw = (int) images.shape()[3] / p;
        for (int layer = 0; layer < model.config().depth(); layer++) {
            List<ClassTokenAttention> got = ClassTokenAttention.of(TracedEncoder.of(model), input, layer);
            assertEquals(images.shape()[0], got.size());
            assertRowsEqual(expected.tensors().get("layer" + layer + ".attention"), got, layer, gh, gw, name);
        }
    }

    /** A (B, h, n, n) from PyTorch against the records: A[b, j, 0, 0] and A[b, j, 0, 1 + patch]; each row sums to one. */
    static void assertRowsEqual(RawTensor attention, List<ClassTokenAttention> got, int layer, int gh, int gw, String what) {
        long[] s = attention.shape();
        int heads = (int) s[1], n = (int) s[2];
        assertEquals(1 + gh * gw, n, what + " tokens");
        float[] a = attention.toFloats();
        for (int b = 0; b < got.size(); b++) {
            ClassTokenAttention c = got.get(b);
            assertEquals(layer, c.layer());
            assertEquals(gh, c.gridHeight());
            assertEquals(gw, c.gridWidth());
            assertEquals(heads, c.heads());
            for (int j = 0; j < heads; j++) {
                int row = ((b * heads + j) * n) * n; // A[b, j, 0, :]
                String where = what + " layer " + layer + " image " + b + " head " + j;
                assertEquals(a[row], c.toClassToken()[j], TOL, where + " to the class token");
                double sum = c.toClassToken()[j];
                for (int q = 0; q < gh * gw; q++) {
                    assertEquals(a[row + 1 + q], c.toPatches()[j][q], TOL, where + " patch " + q);
                    sum += c.toPatches()[j][q];
                }
                assertEquals(1.0, sum, 1e-5, where + " row sum");
            }
        }
    }

    @Test
    void upsampledPixelsAreTheAttentionMapsPixels() {
        Torch.seed(2);
        Crate model = Crate.create(CrateConfig.of(16, 4, 3, 5, 16, 2, 2));
        Tensor images = torch.randn(2, 3, 16, 16);
        List<ClassTokenAttention> got = ClassTokenAttention.of(TracedEncoder.of(model), images, 1);
        List<AttentionMaps.Result> maps = AttentionMaps.compute(TracedEncoder.of(model), images, 1);
        for (int b = 0; b < 2; b++) {
            assertArrayEquals(maps.get(b).patches().values(), got.get(b).maps().values(), 0f);
            assertArrayEquals(maps.get(b).pixels().values(), got.get(b).pixels(16, 16).values(), 1e-7f);
        }
    }

    @Test
    void attentionThatDoesNotFitTheGridIsRefusedWithItsShape() {
        Tensor a = torch.rand(1, 2, 17, 17);
        CrateException e = assertThrows(CrateException.class, () -> ClassTokenAttention.fromAttention(a, 0, 3, 5));
        assertEquals("attention of shape [1, 2, 17, 17] does not fit a 3x5 patch grid plus a class token (B, h, 16, 16)", e.getMessage());
    }
}

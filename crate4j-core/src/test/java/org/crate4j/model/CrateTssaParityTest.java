package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRATE with TSSA as its compression step against PyTorch (tools/fixtures/make_classifier_fixtures.py,
 * case crate_tssa): Z + TSSA(LN₁ Z) then ISTA, TSSA's tensors under transformer.layers.i.0.fn.
 */
class CrateTssaParityTest {
    @TempDir
    Path tmp;

    @Test
    void matchesPyTorchLayerByLayer() {
        Torch.init();
        Fixtures.Expected exp = Fixtures.expected("crate_tssa");
        CrateWeights.Options opt = new CrateWeights.Options(null, 0, false, 0, Pooling.MEAN).withImage(12, 16, 3);
        Crate model = CrateWeights.load(ClassifierParityTest.fixture("crate_tssa.pth"), opt);
        CrateConfig c = model.config();
        assertEquals(Attention.TSSA, c.attention(), "temp's presence makes the step TSSA");
        assertEquals(3, c.heads(), "temp has one row per head");
        assertEquals(exp.integer("dim"), c.dim());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = Fixtures.tensor(exp.get("images"));
            List<LayerTrace> trace = model.trace(images);
            for (int i = 0; i < trace.size(); i++) {
                LayerTrace t = trace.get(i);
                String l = "layer " + i + " ";
                Fixtures.assertClose(l + "w", exp.get("layer" + i + ".subspaces"), t.subspaces());
                Tensor pi = Fixtures.tensor(exp.get("layer" + i + ".pi"));
                Tensor weights = pi.div(pi.sum(new long[] {-1}, true, new ScalarTypeOptional())).unsqueeze(2);
                Fixtures.assertClose(l + "token weights", RawTensor.ofFloats(Torch.toFloats(weights), Torch.shape(weights)), t.attention());
                Fixtures.assertClose(l + "Zh", exp.get("layer" + i + ".compressed"), t.compressed());
                Fixtures.assertClose(l + "ISTA", exp.get("layer" + i + ".sparse"), t.sparse());
            }
            Fixtures.assertClose("logits", exp.get("logits"), model.forward(images));
        }
    }

    @Test
    void theConfigFieldIsWrittenForTssaOnlyAndReadBack() {
        CrateConfig mssa = Presets.get("crate-fmnist");
        assertFalse(ConfigJson.toJson(mssa).contains("attention"), "MSSA models write the metadata they always wrote");
        assertEquals(mssa, ConfigJson.fromJson(ConfigJson.toJson(mssa)));
        CrateConfig tssa = mssa.withAttention(Attention.TSSA);
        assertTrue(ConfigJson.toJson(tssa).endsWith(",\"attention\":\"TSSA\"}"), ConfigJson.toJson(tssa));
        assertEquals(tssa, ConfigJson.fromJson(ConfigJson.toJson(tssa)));
        assertEquals(Attention.TSSA, tssa.withImageSize(35, 35).withClasses(3).withHeads(8, 16).attention(), "every with… keeps it");

        Torch.seed(2);
        Crate model = Crate.create(tssa);
        Path file = tmp.resolve("tssa.safetensors");
        model.save(file, Map.of());
        Crate back = CrateWeights.load(file, CrateWeights.Options.defaults());
        assertEquals(tssa, back.config());
        assertEquals(ParameterKind.TEMPERATURE, model.kinds().get("transformer.layers.0.0.fn.temp"));
        assertFalse(model.kinds().get("transformer.layers.0.0.fn.temp").decays(), "exempt from weight decay, as in ToST");
        assertTrue(WeightsFile.read(file).shapes().containsKey("transformer.layers.5.0.fn.to_out.0.bias"));
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = Torch.rand(org.crate4j.engine.Device.CPU, 2, 1, 28, 28);
            assertEquals(0.0, model.forward(x).sub(back.forward(x)).abs().max().item_double(), 0.0);
        }
        long n = mssa.numTokens(), perLayer = 2L * 2 * mssa.heads() * n * n * mssa.headDim() - 2L * 2 * n * mssa.innerDim();
        assertEquals(mssa.depth() * perLayer, mssa.flopsPerImage() - tssa.flopsPerImage(), "U·Uᵀ and A·U replaced by linear-time statistics");
    }
}

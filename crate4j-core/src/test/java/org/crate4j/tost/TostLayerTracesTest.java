package org.crate4j.tost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.analysis.ClassTokenAttention;
import org.crate4j.analysis.FeaturePca;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Torch;
import org.crate4j.model.LayerTrace;
import org.junit.jupiter.api.Test;

/** ToST through the analysis' shared traces: PyTorch's Π, normalised over the tokens, stands where the class-token row does. */
class TostLayerTracesTest {
    @Test
    void tokenWeightsAreTheFixturesPiNormalisedOverTheTokens() {
        Torch.init();
        Safetensors.Contents exp = Fixtures.expected("tost_p16_ragged"); // 36 × 28 at patch 16: a 3 × 2 grid
        Tost model = TostWeights.load(Fixtures.path("tost_p16_ragged.pth"), TostWeights.Options.defaults());
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = Fixtures.tensor(exp.tensors(), "images");
            List<LayerTrace> traces = model.layerTraces(images);
            assertEquals(model.config().depth(), traces.size());
            Tensor pi = Fixtures.tensor(exp.tensors(), "block0.pi"); // (B, h, N)
            Tensor expected = pi.div(pi.sum(new long[] {-1}, true, new ScalarTypeOptional()));
            LayerTrace t = traces.get(0);
            long b = pi.size(0), h = pi.size(1), n = pi.size(2);
            assertEquals(List.of(b, h, 1L, n + 1), List.of(t.attention().size(0), t.attention().size(1), t.attention().size(2),
                    t.attention().size(3)));
            Fixtures.assertClose("token weights", RawTensor.ofFloats(Torch.toFloats(expected), b, h, n), t.attention().select(2, 0).narrow(2, 1, n));
            Fixtures.assertClose("TSSA's w as the subspaces", exp.tensors().get("block0.projections"), t.subspaces());

            // the grid comes from the images and the stem's stride, as for every family; padding rounds 36 × 28 up to 3 × 2
            List<ClassTokenAttention> rows = ClassTokenAttention.fromAttention(t.attention(), 0, 3, 2);
            for (int j = 0; j < h; j++) {
                double sum = 0;
                for (float v : rows.get(1).toPatches()[j]) {
                    sum += v;
                }
                assertEquals(1.0, sum, 1e-5, "head " + j + "'s weights sum to one over the tokens");
                assertEquals(0f, rows.get(1).toClassToken()[j], "ToST's layers carry no class token");
            }
        }
    }

    @Test
    void pcaReadsEveryTokenAsAPatch() {
        Torch.init();
        Tost model = TostWeights.load(Fixtures.path("tost_p16_ragged.pth"), TostWeights.Options.defaults());
        try (PointerScope scope = new PointerScope()) {
            Tensor images = Torch.rand(org.crate4j.engine.Device.CPU, 1, 3, 32, 48); // a 2 × 3 grid, exactly
            Tensor f = FeaturePca.keyFeatures(TracedEncoder.of(model), images, 0);
            assertEquals(List.of(1L, 6L, (long) model.config().dim()), List.of(f.size(0), f.size(1), f.size(2)));
        }
    }
}

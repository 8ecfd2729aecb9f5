package org.crate4j.alpha;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.analysis.Layerwise;
import org.crate4j.analysis.LayerwiseResult;
import org.crate4j.analysis.Sparsity;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.engine.Torch;
import org.crate4j.model.ParameterSpec;
import org.crate4j.train.Losses;
import org.junit.jupiter.api.Test;

class CrateAlphaTest {
    private static final AlphaConfig SMALL = AlphaConfig.builder().imageSize(16).patchSize(4).channels(3).classes(5)
            .dim(24).depth(2).heads(3).build();

    @Test
    void newModelHoldsOneTensorPerSpecInitialisedByKind() {
        Torch.seed(5);
        CrateAlpha m = CrateAlpha.create(SMALL);
        assertEquals(SMALL.parameterCount(), m.parameters().count());
        assertEquals(new ArrayList<>(SMALL.parameterShapes().keySet()), new ArrayList<>(m.parameters().names()));
        try (NoGradGuard g = new NoGradGuard()) {
            // D, D1: kaiming-uniform a = 0 on fan-in r·d = 96 → U(±√(6/96)), std bound/√3
            double bound = Math.sqrt(6.0 / 96);
            Tensor d = m.parameters().get("transformer.layers.0.1.fn.D");
            assertTrue(d.abs().max().item_double() <= bound);
            assertEquals(bound / Math.sqrt(3), d.std().item_double(), 0.1 * bound);
            // torch's Conv2d/Linear default: U(±1/√fan_in), the stem's fan-in C·P² = 48
            Tensor stem = m.parameters().get("conv1.weight");
            assertTrue(stem.abs().max().item_double() <= 1 / Math.sqrt(48));
            assertTrue(stem.abs().max().item_double() > 0.9 / Math.sqrt(48));
            assertEquals(1.0, m.parameters().get("mlp_head.0.weight").mean().item_double(), 0);
            assertEquals(0.0, m.parameters().get("transformer.layers.1.1.norm.bias").abs().max().item_double(), 0);
            // torch.randn positions
            assertEquals(1.0, m.parameters().get("pos_embedding").std().item_double(), 0.15);
        }
    }

    @Test
    void weightDecayFollowsTheKind() {
        Set<String> decayed = new TreeSet<>();
        for (ParameterSpec s : SMALL.parameterSpecs()) {
            if (s.kind().decays()) {
                decayed.add(s.name());
            }
        }
        Set<String> want = new TreeSet<>(List.of("conv1.weight", "mlp_head.1.weight"));
        for (int i = 0; i < 2; i++) {
            String p = "transformer.layers." + i + ".";
            want.addAll(List.of(p + "0.fn.qkv.weight", p + "0.fn.to_out.0.weight", p + "1.fn.D", p + "1.fn.D1"));
        }
        assertEquals(want, decayed);
    }

    @Test
    void gradientsReachEveryParameter() {
        Torch.seed(6);
        CrateAlpha m = CrateAlpha.create(SMALL).train(true);
        try (PointerScope s = new PointerScope()) {
            Tensor loss = Losses.crossEntropy(m.forward(torch.rand(3, 3, 16, 16)), Torch.fromFloats(new float[] {0, 3, 4}, 3)
                    .to(torch.ScalarType.Long), 0.0);
            loss.backward();
            m.parameters().asMap().forEach((name, t) -> {
                assertTrue(t.grad().defined(), name + " has a gradient");
                assertTrue(t.grad().abs().sum().item_double() > 0, name + " has a non-zero gradient");
            });
        }
    }

    @Test
    void tracesOnOtherImageSizesUseResizedPositions() {
        Torch.seed(7);
        CrateAlpha m = CrateAlpha.create(SMALL);
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            List<AlphaLayerTrace> t = m.trace(torch.rand(1, 3, 24, 20));
            assertEquals(List.of(1L, 3L, 31L, 31L), shape(t.get(0).attention()));
            assertEquals(List.of(1L, 31L, 96L), shape(t.get(1).code()));
            CrateException e = assertThrows(CrateException.class, () -> m.forward(torch.rand(1, 1, 16, 16)));
            assertTrue(e.getMessage().contains("expects images (B, 3, H, W)"), e.getMessage());
        }
    }

    @Test
    void layerwiseMeasuresTheSparsityOfTheOdlCode() {
        Torch.seed(8);
        CrateAlpha m = CrateAlpha.create(SMALL);
        TracedEncoder encoder = new TracedEncoder.Traced(m::layerTraces, 4, 2, 3, 16, 16, m.device());
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor images = torch.rand(2, 3, 16, 16);
            List<AlphaLayerTrace> trace = m.trace(images);
            Layerwise acc = new Layerwise(2);
            acc.add(encoder.trace(images));
            LayerwiseResult r = acc.result();
            for (int l = 0; l < 2; l++) {
                double[] z = Sparsity.zeroFraction(trace.get(l).code());
                assertEquals((z[0] + z[1]) / 2, r.layers().get(l).zeroFraction().mean(), 1e-12);
                assertTrue(r.layers().get(l).zeroFraction().mean() > 0, "ReLU leaves exact zeros in the code");
            }
        }
    }

    private static List<Long> shape(Tensor t) {
        List<Long> s = new ArrayList<>();
        for (long d : Torch.shape(t)) {
            s.add(d);
        }
        return s;
    }
}

package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.data.Batch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

/** A SAM step takes its gradient at w + rho·g/‖g‖ and leaves the weights where they were. */
class SamTest {
    @Test
    void samGradientIsTakenAtTheAscentPoint() {
        Torch.init();
        Torch.seed(3);
        CrateConfig c = CrateConfig.of(8, 4, 1, 3, 16, 2, 2);
        Crate model = Crate.create(c);
        Crate probe = Crate.fromTensors(c, copies(model.parameters().asMap()));
        float[] px = new float[4 * 64];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) r.nextGaussian();
        }
        int[] labels = {0, 1, 2, 1};
        Batch b = new Batch(px, labels, 4, 1, 8, 8, 0);
        double rho = 0.05;
        TrainOptions o = TrainOptions.fashionMnistDefaults(null).with(x -> { x.sam = rho; x.clipNorm = 0; x.labelSmoothing = 0.1; return x; });
        Trainer t = new Trainer(model, o, Precision.FP32, GradientSync.none(), Map.of(), List.of());
        Map<String, Tensor> before = copies(model.parameters().asMap());
        Optimizer opt = o.newOptimizer(model.parameters().asMap());
        t.trainStep(b, opt, 0.0, 0); // lr 0: AdamW leaves the weights alone, the gradients stay to be read

        try (PointerScope s = new PointerScope()) {
            probe.train(true);
            Tensor x = Torch.fromFloats(px, 4, 1, 8, 8);
            Tensor y = Torch.longs(Device.CPU, labels);
            Losses.crossEntropy(probe.forward(x), y, 0.1).backward();
            double sq = 0;
            for (Tensor p : probe.parameters().tensors()) {
                sq += Math.pow(p.grad().norm().item_double(), 2);
            }
            double scale = rho / Math.sqrt(sq);
            Map<String, Tensor> moved = new HashMap<>();
            probe.parameters().asMap().forEach((k, p) -> moved.put(k, p.detach().add(p.grad().mul(new org.bytedeco.pytorch.Scalar(scale)))));
            Crate ascent = Crate.fromTensors(c, moved);
            ascent.train(true);
            Losses.crossEntropy(ascent.forward(x), y, 0.1).backward();
            double maxDiff = 0, maxPlain = 0;
            for (String k : c.parameterShapes().keySet()) {
                Tensor got = model.parameters().get(k).grad();
                maxDiff = Math.max(maxDiff, got.sub(ascent.parameters().get(k).grad()).abs().max().item_double());
                maxPlain = Math.max(maxPlain, got.sub(probe.parameters().get(k).grad()).abs().max().item_double());
                assertEquals(0.0, model.parameters().get(k).sub(before.get(k)).abs().max().item_double(), 1e-6, k + " restored");
            }
            assertTrue(maxDiff < 1e-5, "gradient at the ascent point: max diff " + maxDiff);
            assertTrue(maxPlain > 1e-4, "and not the plain gradient (diff " + maxPlain + ")");
        }
    }

    private static Map<String, Tensor> copies(Map<String, Tensor> params) {
        Map<String, Tensor> out = new HashMap<>();
        params.forEach((k, v) -> {
            Tensor t = v.detach().clone();
            t.retainReference();
            out.put(k, t);
        });
        return out;
    }
}

package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Torch;
import org.crate4j.engine.Device;
import org.junit.jupiter.api.Test;

/**
 * With class-token pooling, forward computes the last layer for the class token alone: its logits
 * and every parameter's gradient equal those of the whole last layer, on either attention kernel
 * and with either projection.
 */
class ClassTokenLayerTest {
    @Test
    void logitsAndGradientsEqualTheWholeLastLayers() {
        CrateConfig free = CrateConfig.of(16, 4, 3, 5, 24, 3, 4);
        for (CrateConfig c : new CrateConfig[] {free, free.withMssa(MssaOutput.TIED)}) {
            for (Crate.AttentionKernel k : new Crate.AttentionKernel[] {Crate.AttentionKernel.SDPA, Crate.AttentionKernel.MATMUL}) {
                try (PointerScope scope = new PointerScope()) {
                    Torch.seed(7);
                    Crate model = Crate.create(c).attentionKernel(k).train(true);
                    Tensor x = Torch.rand(Device.CPU, 3, 3, 16, 16);
                    Tensor fast = model.forward(x);
                    float[][] gradFast = gradients(model, fast);
                    Tensor whole = model.forwardHead(model.forwardFeatures(x, null));
                    float[][] gradWhole = gradients(model, whole);
                    assertArrayEquals(Torch.toFloats(whole), Torch.toFloats(fast), 1e-5f, c.mssa() + " " + k);
                    for (int i = 0; i < gradWhole.length; i++) {
                        assertArrayEquals(gradWhole[i], gradFast[i], 1e-5f, c.mssa() + " " + k + " parameter " + i);
                    }
                }
            }
        }
    }

    // the gradients of Σ logits², one array per parameter
    private static float[][] gradients(Crate model, Tensor logits) {
        model.parameters().tensors().forEach(p -> {
            if (p.grad().defined()) {
                p.grad().zero_();
            }
        });
        logits.square().sum().backward();
        return model.parameters().tensors().stream().map(p -> Torch.toFloats(p.grad())).toArray(float[][]::new);
    }
}

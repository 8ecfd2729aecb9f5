package org.crate4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;

/**
 * The automatic attention kernel: libtorch's fused SDPA, except for training under reduced-precision
 * autocast on a CPU, where its backward is the slow part of the step (NOTES.md, session 8).
 */
class AttentionKernelChoiceTest {
    @Test
    void autoTrainsWithTheExplicitProductsUnderCpuAutocastAndFusesOtherwise() {
        Crate model = Crate.create(CrateConfig.of(16, 4, 3, 5, 24, 3, 4));
        assertTrue(model.train(true).useSdpa(), "fp32 training fuses");
        assertTrue(model.train(false).useSdpa(), "fp32 inference fuses");
        try (Precision.Scope bf16 = Precision.BF16.enter(Device.CPU)) {
            assertFalse(model.train(true).useSdpa(), "bf16 training on a CPU uses the explicit products");
            assertTrue(model.train(false).useSdpa(), "bf16 inference fuses");
        }
        assertTrue(model.train(true).useSdpa(), "leaving autocast restores the fused kernel");
        assertFalse(model.attentionKernel(Crate.AttentionKernel.MATMUL).useSdpa());
    }

    @Test
    void everyMssaFormsTheProductsForABackwardUnderCpuAutocast() {
        try (PointerScope scope = new PointerScope()) {
            Mssa mssa = Crate.create(CrateConfig.of(16, 4, 3, 5, 24, 3, 4)).mssa(0);
            Tensor x = Torch.rand(Device.CPU, 2, 5, 24);
            Tensor differentiated = Torch.rand(Device.CPU, 2, 5, 24).requires_grad_(true);
            assertNull(mssa.apply(differentiated, true, false).attention(), "fp32: fused");
            try (Precision.Scope bf16 = Precision.BF16.enter(Device.CPU)) {
                assertNotNull(mssa.apply(differentiated, true, false).attention(), "bf16 with a backward: explicit");
                try (NoGradGuard inference = new NoGradGuard()) {
                    assertNull(mssa.apply(x, false, false).attention(), "bf16 without a backward: fused");
                }
            }
        }
    }

    @Test
    void bothKernelsGiveTheSameBf16TrainingLoss() {
        try (PointerScope scope = new PointerScope()) {
            Torch.seed(3);
            Tensor images = Torch.rand(Device.CPU, 2, 3, 16, 16);
            double[] loss = new double[2];
            Crate.AttentionKernel[] kernels = {Crate.AttentionKernel.SDPA, Crate.AttentionKernel.MATMUL};
            for (int k = 0; k < 2; k++) {
                Torch.seed(0);
                Crate model = Crate.create(CrateConfig.of(16, 4, 3, 5, 24, 3, 4)).attentionKernel(kernels[k]).train(true);
                try (Precision.Scope bf16 = Precision.BF16.enter(Device.CPU)) {
                    loss[k] = model.forward(images).square().mean().item_double();
                }
            }
            assertEquals(loss[0], loss[1], 2e-2 * Math.abs(loss[0]), "the same model under bf16, fused or explicit");
        }
    }
}

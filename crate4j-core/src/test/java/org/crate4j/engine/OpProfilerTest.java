package org.crate4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.OpProfiler.Kind;
import org.junit.jupiter.api.Test;

/** Backward time goes to the kind of the marked operation whose backward it is, through the gradient hooks. */
class OpProfilerTest {
    @Test
    void aGemmsBackwardCountsAsGemmAndTheReluAfterItAsElementwise() {
        try (PointerScope scope = new PointerScope()) {
            Torch.seed(1);
            Tensor x = Torch.randn(Device.CPU, 768, 768).requires_grad_(true);
            Tensor w = Torch.randn(Device.CPU, 768, 768).requires_grad_(true);
            long gemm = 0, elementwise = 0;
            for (int round = 0; round < 4; round++) { // the first round warms up the kernels and the hooks' calls into Java
                try (OpProfiler prof = OpProfiler.start(Device.CPU)) {
                    Tensor y = OpProfiler.time(Kind.GEMM, () -> torch.matmul(x, w));
                    Tensor z = OpProfiler.time(Kind.ELEMENTWISE, () -> torch.relu(y));
                    Map<Kind, Long> forward = prof.nextPhase();
                    prof.backward(() -> z.sum().backward());
                    Map<Kind, Long> backward = prof.nextPhase();
                    assertTrue(forward.get(Kind.GEMM) > 0 && forward.get(Kind.ELEMENTWISE) > 0, forward.toString());
                    assertTrue(backward.containsKey(Kind.OTHER), "the sum's backward, before the first hook: " + backward);
                    if (round > 0) {
                        gemm += backward.get(Kind.GEMM);
                        elementwise += backward.get(Kind.ELEMENTWISE);
                    }
                }
            }
            // two 768³ products against one pass over 768² values, summed over three rounds (one slow round is the machine's)
            assertTrue(gemm > 3 * elementwise, "backward GEMM " + gemm + " ns vs element-wise " + elementwise + " ns");
            Tensor y = OpProfiler.time(Kind.GEMM, () -> torch.matmul(x, w));
            assertEquals(768, y.size(0), "with no profiler running a mark only runs its operation");
        }
    }
}

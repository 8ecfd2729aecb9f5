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
            for (int round = 0; round < 2; round++) { // the first round warms the kernels up
                try (OpProfiler prof = OpProfiler.start(Device.CPU)) {
                    Tensor y = OpProfiler.time(Kind.GEMM, () -> torch.matmul(x, w));
                    Tensor z = OpProfiler.time(Kind.ELEMENTWISE, () -> torch.relu(y));
                    Map<Kind, Long> forward = prof.nextPhase();
                    prof.backward(() -> z.sum().backward());
                    Map<Kind, Long> backward = prof.nextPhase();
                    assertTrue(forward.get(Kind.GEMM) > 0 && forward.get(Kind.ELEMENTWISE) > 0, forward.toString());
                    // two 768³ products against one pass over 768² values
                    assertTrue(backward.get(Kind.GEMM) > 3 * backward.get(Kind.ELEMENTWISE), backward.toString());
                    assertTrue(backward.containsKey(Kind.OTHER), "the sum's backward, before the first hook: " + backward);
                }
            }
            Tensor y = OpProfiler.time(Kind.GEMM, () -> torch.matmul(x, w));
            assertEquals(768, y.size(0), "with no profiler running a mark only runs its operation");
        }
    }
}

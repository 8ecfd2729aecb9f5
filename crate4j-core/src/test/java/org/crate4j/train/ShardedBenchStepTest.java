package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.ThreadShards;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code crate bench}'s train step, split into two row shards, leaves the gradients one whole
 * backward leaves; the bench reports the split, and a model with dropout is timed whole.
 */
class ShardedBenchStepTest {
    private static final CrateConfig TOY = CrateConfig.of(16, 4, 3, 5, 24, 2, 4);
    private final int threadsBefore = Torch.threads();

    @AfterEach
    void restore() {
        ThreadShards.setEnabled(true);
        Torch.setThreads(threadsBefore);
    }

    private static List<float[]> gradientsAfterOneStep(CrateConfig config, boolean shards) {
        Torch.setThreads(2);
        ThreadShards.setEnabled(shards);
        Benchmark.Bench b = Benchmark.Bench.build(config, 6, Device.CPU, Crate.AttentionKernel.AUTO);
        b.training(Precision.FP32, GradientSync.none()).step(Benchmark.Phases.NONE);
        List<float[]> out = new ArrayList<>();
        for (Tensor p : b.model().parameters().tensors()) {
            out.add(Torch.toFloats(p.grad()));
        }
        return out;
    }

    @Test
    void aSplitTrainStepLeavesTheWholeStepsGradients() {
        long before = ThreadShards.shardsRun();
        List<float[]> split = gradientsAfterOneStep(TOY, true);
        assertEquals(before + 2, ThreadShards.shardsRun(), "one train step of two shards");
        List<float[]> whole = gradientsAfterOneStep(TOY, false);
        for (int i = 0; i < whole.size(); i++) {
            assertArrayEquals(whole.get(i), split.get(i), 1e-6f, "parameter " + i);
        }
    }

    @Test
    void theResultSaysHowTheBatchWasSplitAndDropoutIsTimedWhole() {
        Torch.setThreads(2);
        Benchmark.Result r = Benchmark.run("toy", TOY, 4, 1, 0, Precision.FP32, Device.CPU, true, Crate.AttentionKernel.AUTO);
        assertEquals(2, r.shards());
        long before = ThreadShards.shardsRun();
        gradientsAfterOneStep(TOY.withDropout(0.1, 0), true);
        assertEquals(before, ThreadShards.shardsRun(), "dropout draws at random: the step ran whole");
    }
}

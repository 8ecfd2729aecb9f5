package org.crate4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GradMode;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch cut into row shards on worker threads computes what it computes whole: the forward's
 * rows, the gradients of one backward (identically on every run), under the caller's grad mode
 * and autocast; failures come back to the caller; nothing nests, and the caller keeps its threads.
 */
class ThreadShardsTest {
    private int threadsBefore;

    @BeforeEach
    void twoThreads() {
        threadsBefore = Torch.threads();
        Torch.setThreads(2);
        ThreadShards.setEnabled(true);
    }

    @AfterEach
    void restore() {
        Torch.setThreads(threadsBefore);
        ThreadShards.setEnabled(true);
    }

    @Test
    void rangesCoverEveryRowOnceTheFirstShardsARowLonger() {
        long[][] r = ThreadShards.ranges(33, 2);
        assertArrayEquals(new long[] {0, 17}, r[0]);
        assertArrayEquals(new long[] {17, 16}, r[1]);
        assertEquals(1, ThreadShards.count(Device.CPU, 1));
        assertEquals(2, ThreadShards.count(Device.CPU, 32));
        assertEquals(1, ThreadShards.count(Device.parse("cuda:0"), 32), "a GPU's batch runs whole");
    }

    @Test
    void anInferenceForwardIsSplitAndEqualsTheWholeBatch() {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Torch.seed(3);
            Crate model = Crate.create(CrateConfig.of(16, 4, 3, 5, 24, 3, 4)).train(false);
            Tensor x = Torch.rand(Device.CPU, 7, 3, 16, 16);
            long before = ThreadShards.shardsRun();
            float[] split = Torch.toFloats(model.forward(x));
            assertEquals(before + 2, ThreadShards.shardsRun(), "the forward ran as two shards");
            ThreadShards.setEnabled(false);
            float[] whole = Torch.toFloats(model.forward(x));
            assertEquals(before + 2, ThreadShards.shardsRun());
            assertArrayEquals(whole, split, 1e-5f);
            assertEquals(7 * 5, split.length);
        }
    }

    @Test
    void aTrainingOrDifferentiatedForwardIsNotSplit() {
        try (PointerScope scope = new PointerScope()) {
            Crate model = Crate.create(CrateConfig.of(16, 4, 3, 5, 24, 3, 4)).train(false);
            Tensor x = Torch.rand(Device.CPU, 4, 3, 16, 16);
            long before = ThreadShards.shardsRun();
            model.forward(x); // grad mode on: the caller may differentiate it
            try (NoGradGuard g = new NoGradGuard()) {
                model.train(true).forward(x); // training: dropout and batch statistics are the batch's
            }
            assertEquals(before, ThreadShards.shardsRun());
        }
    }

    @Test
    void shardGradientsSumToOneBackwardsAndRepeatExactly() {
        try (PointerScope scope = new PointerScope()) {
            Torch.seed(5);
            Crate model = Crate.create(CrateConfig.of(16, 4, 3, 5, 24, 3, 4)).train(true);
            Tensor x = Torch.rand(Device.CPU, 5, 3, 16, 16);
            List<Tensor> params = new ArrayList<>(model.parameters().tensors());

            clear(params);
            model.forward(x).square().mean().backward();
            float[][] whole = grads(params);

            float[][] first = shardedGrads(model, params, x, 2);
            float[][] second = shardedGrads(model, params, x, 2);
            for (int i = 0; i < whole.length; i++) {
                assertArrayEquals(whole[i], first[i], 1e-5f, "parameter " + i);
                assertArrayEquals(first[i], second[i], 0f, "parameter " + i + " differs between two runs");
            }
            // three shards on two cores (as on a machine with more threads): the order of three sums is fixed too
            float[][] three = shardedGrads(model, params, x, 3), threeAgain = shardedGrads(model, params, x, 3);
            for (int i = 0; i < whole.length; i++) {
                assertArrayEquals(whole[i], three[i], 1e-5f, "parameter " + i);
                assertArrayEquals(three[i], threeAgain[i], 0f, "parameter " + i + " differs between two runs of three shards");
            }
        }
    }

    // the gradients of mean(logits²) over x's rows, from two shards weighted by their rows
    private static float[][] shardedGrads(Crate model, List<Tensor> params, Tensor x, int n) {
        clear(params);
        long[][] r = ThreadShards.ranges(x.size(0), n);
        List<Double> shares = ThreadShards.backward(params, n, i -> {
            double share = r[i][1] / (double) x.size(0);
            Tensor loss = model.forward(x.narrow(0, r[i][0], r[i][1])).square().mean().mul(new Scalar(share));
            return new ThreadShards.Loss<>(loss, share);
        });
        assertEquals(n == 2 ? List.of(3 / 5.0, 2 / 5.0) : List.of(2 / 5.0, 2 / 5.0, 1 / 5.0), shares);
        return grads(params);
    }

    private static void clear(List<Tensor> params) {
        params.forEach(p -> {
            if (p.grad().defined()) {
                p.grad().zero_();
            }
        });
    }

    private static float[][] grads(List<Tensor> params) {
        return params.stream().map(p -> Torch.toFloats(p.grad())).toArray(float[][]::new);
    }

    @Test
    void aShardSeesTheCallersGradModeAndAutocast() {
        try (NoGradGuard g = new NoGradGuard()) {
            assertEquals(List.of(false, false), ThreadShards.map(2, i -> GradMode.is_enabled()));
        }
        assertEquals(List.of(true, true), ThreadShards.map(2, i -> GradMode.is_enabled()));
        try (Precision.Scope ac = Precision.BF16.enter(Device.CPU)) {
            assertEquals(List.of(true, true), ThreadShards.map(2, i -> torch.is_autocast_enabled(torch.DeviceType.CPU)));
            assertEquals(List.of("BFloat16", "BFloat16"), ThreadShards.map(2, i -> torch.get_autocast_dtype(torch.DeviceType.CPU).toString()));
            Tensor a = Torch.rand(Device.CPU, 4, 8), w = Torch.rand(Device.CPU, 8, 3);
            assertEquals(List.of("BFloat16", "BFloat16"), ThreadShards.map(2, i -> torch.matmul(a, w).scalar_type().toString()),
                    "a shard's matmul runs in bf16 as the caller's would");
        }
        assertEquals(List.of(false, false), ThreadShards.map(2, i -> torch.is_autocast_enabled(torch.DeviceType.CPU)));
    }

    @Test
    void shardsAskedForInsideAWorkerRunThereOneAfterTheOther() {
        List<List<String>> inner = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> ThreadShards.map(2, i -> ThreadShards.map(3, j -> Thread.currentThread().getName())));
        for (List<String> names : inner) {
            assertEquals(3, names.size());
            assertEquals(1, names.stream().distinct().count(), "one worker ran all three: " + names);
        }
    }

    @Test
    void aFailingShardFailsTheCallWithItsOwnError() {
        CrateException e = assertThrows(CrateException.class, () -> ThreadShards.map(2, i -> {
            if (i == 1) {
                throw new CrateException("shard one is wrong");
            }
            return i;
        }));
        assertEquals("shard one is wrong", e.getMessage());
    }

    @Test
    void workersRunOnOneThreadEachSplitNothingAndTheCallerKeepsItsThreads() {
        List<String> names = ThreadShards.map(2, i -> Thread.currentThread().getName());
        assertTrue(names.stream().allMatch(n -> n.startsWith("crate4j-shard")));
        assertNotEquals(Thread.currentThread().getName(), names.get(0));
        assertEquals(List.of(1, 1), ThreadShards.map(2, i -> torch.get_num_threads()));
        assertEquals(List.of(1, 1), ThreadShards.map(2, i -> ThreadShards.count(Device.CPU, 8)));
        assertEquals(2, Torch.threads());
        try (OpProfiler p = OpProfiler.start(Device.CPU)) {
            assertEquals(1, ThreadShards.count(Device.CPU, 8));
        }
        ThreadShards.setEnabled(false);
        assertEquals(1, ThreadShards.count(Device.CPU, 8));
        ThreadShards.setEnabled(true);
        Torch.setThreads(1);
        assertEquals(1, ThreadShards.count(Device.CPU, 8));
        assertFalse(names.contains(null));
    }
}

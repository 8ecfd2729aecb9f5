package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every tensor a training step creates dies with the step: live native objects and RSS stay flat. */
class FlatMemoryTest {
    @TempDir
    Path tmp;

    @Test
    void liveNativeObjectsAndResidentMemoryDoNotGrowAcrossSteps() {
        int threadsBefore = Torch.threads();
        Torch.setThreads(2); // the steps run as two row shards on worker threads (ThreadShards): their tensors must die too
        long shardsBefore = org.crate4j.engine.ThreadShards.shardsRun();
        try {
            stepsStayFlat();
        } finally {
            Torch.setThreads(threadsBefore);
        }
        assertTrue(org.crate4j.engine.ThreadShards.shardsRun() - shardsBefore >= 2 * 180, "every step ran as two shards");
    }

    private void stepsStayFlat() {
        Torch.seed(1);
        Crate m = Crate.create(CrateConfig.of(16, 4, 1, 2, 32, 2, 4));
        InMemoryDataset data = ResumeTest.toyData(64, 3);
        TrainOptions o = ResumeTest.options(tmp, false);
        Trainer t = new Trainer(m, o, Precision.FP32, GradientSync.none(), Map.of(), List.of());
        Optimizer opt = o.newOptimizer(m.parameters().asMap());
        try (DataLoader loader = new DataLoader(data, Transforms.compose(Transforms.resize(16, 16), Transforms.normalize(new float[] {0.5f},
                new float[] {0.5f})), 16, true, true, 0, 0, 1)) {
            long step = 0;
            long[] liveAfter = new long[3];
            long[] rssAfter = new long[3];
            for (int round = 0; round < 3; round++) {
                for (int epoch = 0; epoch < 15; epoch++) {
                    loader.setEpoch(round * 100 + epoch);
                    for (Batch b : loader) {
                        t.trainStep(b, opt, 1e-3, step++);
                    }
                }
                liveAfter[round] = settledLiveCount();
                rssAfter[round] = Pointer.physicalBytes();
            }
            // 60 steps per round: a leak of even one tensor per step would show as +60 objects.
            assertTrue(liveAfter[2] - liveAfter[1] < 20, "live native objects grew: " + java.util.Arrays.toString(liveAfter));
            assertTrue(rssAfter[2] - rssAfter[1] < 64L << 20, "resident memory grew by more than 64 MB: " + java.util.Arrays.toString(rssAfter));
        }
    }

    /**
     * Live JavaCPP objects once the GC has run: wrappers the GC owns are freed by JavaCPP's
     * deallocator thread after collection, asynchronously, so poll until the count settles.
     */
    static long settledLiveCount() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            best = Math.min(best, Pointer.totalCount());
        }
        return best;
    }
}

package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An interrupted and resumed run reproduces the uninterrupted one exactly. */
class ResumeTest {
    @TempDir
    Path tmp;

    static InMemoryDataset toyData(int n, long seed) {
        Random r = new Random(seed);
        byte[] px = new byte[n * 8 * 8];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
            for (int j = 0; j < 64; j++) {
                int base = labels[i] == 0 ? (j % 8 < 4 ? 200 : 30) : (j / 8 < 4 ? 200 : 30);
                px[i * 64 + j] = (byte) Math.max(0, Math.min(255, base + r.nextInt(40) - 20));
            }
        }
        return new InMemoryDataset(8, 8, 1, px, labels, List.of("vertical", "horizontal"));
    }

    static TrainOptions options(Path out, boolean resume) {
        return TrainOptions.fashionMnistDefaults(out).with(b -> {
            b.epochs = 3;
            b.batch = 8;
            b.timeBudgetMin = 0;
            b.warmupEpochs = 1;
            b.lr = 3e-3;
            b.resume = resume;
            b.workers = 2;
            return b;
        });
    }

    Trainer trainer(Crate m, TrainOptions o) {
        return new Trainer(m, o, Precision.FP32, GradientSync.none(), Map.of(), List.of(new MetricsFiles()));
    }

    @Test
    void resumedRunEqualsUninterruptedRun() {
        resumesExactly(b -> b, 8);
    }

    @Test
    void resumedRunEqualsUninterruptedRunWithPatchDropoutSwitchingOff() {
        // 4 patches, 2 kept per image for the first 60 % of the steps (the cut at step 8 falls inside), then all
        resumesExactly(b -> { b.patchDropout = 0.5; b.patchDropoutUntil = 0.6; return b; }, 8);
    }

    @Test
    void resumedRunEqualsUninterruptedRunWhenAccumulating() {
        // 2 micro-batches of 8 per step: 3 steps per epoch; the cut after step 4 is mid-epoch 2, and dropout
        // draws per micro-batch, so the resumed run must skip whole steps and redraw the same masks
        resumesExactly(b -> { b.accumSteps = 2; return b; }, 4);
    }

    private void resumesExactly(java.util.function.UnaryOperator<TrainOptions.Builder> edit, long cutAfter) {
        CrateConfig c = CrateConfig.of(8, 4, 1, 2, 16, 2, 2).withDropout(0.1, 0);
        InMemoryDataset train = toyData(48, 1), val = toyData(16, 2);
        Transform tf = Transforms.compose(Transforms.horizontalFlip(0.5), Transforms.normalize(new float[] {0.5f}, new float[] {0.5f}));
        Transform ev = Transforms.normalize(new float[] {0.5f}, new float[] {0.5f});

        Torch.seed(11);
        Crate full = Crate.create(c);
        trainer(full, options(tmp.resolve("full"), false).with(edit)).fit(train, tf, val, ev);

        Torch.seed(11);
        Crate first = Crate.create(c);
        trainer(first, options(tmp.resolve("cut"), false).with(edit)).stopAfterStep(cutAfter).fit(train, tf, val, ev); // killed mid-epoch 2
        Torch.seed(99); // a different process: nothing but the checkpoint carries over
        Crate second = Crate.create(c);
        trainer(second, options(tmp.resolve("cut"), true).with(edit)).fit(train, tf, val, ev);

        for (String name : c.parameterShapes().keySet()) {
            assertArrayEquals(Torch.toFloats(full.parameters().get(name)), Torch.toFloats(second.parameters().get(name)), 0f, name);
        }
        List<Map<String, Double>> a = new MetricsLog(tmp.resolve("full"), true).rows();
        List<Map<String, Double>> b = new MetricsLog(tmp.resolve("cut"), true).rows();
        assertEquals(a.get(a.size() - 1).get("val_loss"), b.get(b.size() - 1).get("val_loss"));
        assertEquals(a.get(a.size() - 1).get("step"), b.get(b.size() - 1).get("step"));
        assertEquals(3, a.size(), "one metrics row per epoch: " + a);
        assertTrue(b.size() >= 3, "the cut run logged its partial epoch and the resumed ones: " + b);
    }
}

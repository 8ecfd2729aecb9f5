package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.Masking;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CRATE-MAE pre-training: it learns, and an interrupted and resumed run equals the uninterrupted one. */
class MaePretrainerTest {
    @TempDir
    Path tmp;

    /** 8×8 grey, 16 patches of 2 pixels, one encoder and one decoder layer. */
    static final MaeConfig TOY = MaeConfig.of(8, 2, 1, 16, 1, 2);
    static final Transform NORMALISE = Transforms.normalize(new float[] {0.5f}, new float[] {0.5f});

    static PretrainOptions options(Path out, boolean resume) {
        return PretrainOptions.recipe(out, 8).with(b -> {
            b.epochs = 3;
            b.lr = 3e-3;
            b.workers = 2;
            b.resume = resume;
            b.warmupFraction = 0.2;
            return b;
        });
    }

    static MaePretrainer pretrainer(CrateMae m, PretrainOptions o) {
        return new MaePretrainer(m, o, Precision.FP32, Map.of("mean", "[0.5]", "std", "[0.5]"), List.of(new MetricsFiles()));
    }

    @Test
    void trainingStepsLowerTheReconstructionLossOnAToySet() {
        InMemoryDataset data = ResumeTest.toyData(32, 3);
        Torch.seed(5);
        CrateMae m = CrateMae.create(TOY);
        MaePretrainer p = pretrainer(m, options(tmp, false));
        Optimizer opt = new AdamW(m.parameters().asMap(), 0.05, 0.9, 0.95, 1e-8);
        Batch batch;
        try (DataLoader loader = new DataLoader(data, NORMALISE, 32, false, false, 0, 0, 1)) {
            batch = loader.iterator().next();
        }
        Tensor x = Torch.fromFloats(batch.images(), 32, 1, 8, 8);
        Tensor noise = Masking.seededNoise(1, 0, 32, TOY.numPatches(), Device.CPU);
        double before = heldOut(m, x, noise);
        for (int step = 0; step < 60; step++) {
            p.trainStep(batch, opt, 3e-3, step);
        }
        double after = heldOut(m, x, noise);
        assertTrue(after < 0.5 * before, "loss on removed patches " + before + " -> " + after);
    }

    private static double heldOut(CrateMae m, Tensor x, Tensor noise) {
        try (NoGradGuard g = new NoGradGuard()) {
            return m.forward(x, noise).loss().item_double();
        }
    }

    @Test
    void resumedPretrainingEqualsUninterruptedPretraining() {
        resumesExactly(b -> b, 8);
    }

    @Test
    void resumedPretrainingEqualsUninterruptedPretrainingWhenAccumulating() {
        resumesExactly(b -> { b.accumSteps = 2; return b; }, 4); // 3 steps of 2 × 8 images per epoch: the cut is mid-epoch 2
    }

    /** As the classifier's: another global batch means other batches, so the run continues at the next epoch boundary. */
    @Test
    void resumeWithAnotherNumberOfImagesPerStepContinuesAtTheNextEpoch() {
        InMemoryDataset train = ResumeTest.toyData(48, 1), val = ResumeTest.toyData(16, 2);
        Torch.seed(11);
        pretrainer(CrateMae.create(TOY), options(tmp, false)).stopAfterStep(2).fit(train, NORMALISE, val, NORMALISE); // 6 steps/epoch
        MaePretrainer.Summary s = pretrainer(CrateMae.create(TOY), options(tmp, true).with(b -> { b.accumSteps = 2; return b; }))
                .fit(train, NORMALISE, val, NORMALISE);
        TrainCheckpoint.State st = TrainCheckpoint.readState(tmp.resolve("last.safetensors"));
        assertEquals(16, st.globalBatch());
        assertEquals(3, st.epoch(), "epoch 1 was cut at step 2 of 6: epochs 2 and 3 at 3 steps of 16 images");
        assertEquals(9, st.globalStep(), "3 epochs of 18 steps rescaled to 3 steps per epoch");
        assertEquals(9, s.steps());
    }

    private void resumesExactly(UnaryOperator<PretrainOptions.Builder> edit, long cutAfter) {
        InMemoryDataset train = ResumeTest.toyData(48, 1), val = ResumeTest.toyData(16, 2);
        Transform tf = Transforms.compose(Transforms.randomResizedCrop(8, 8, 0.5, 1, 3.0 / 4, 4.0 / 3), Transforms.horizontalFlip(0.5), NORMALISE);

        Torch.seed(11);
        CrateMae full = CrateMae.create(TOY);
        pretrainer(full, options(tmp.resolve("full"), false).with(edit)).fit(train, tf, val, NORMALISE);

        Torch.seed(11);
        CrateMae first = CrateMae.create(TOY);
        pretrainer(first, options(tmp.resolve("cut"), false).with(edit)).stopAfterStep(cutAfter).fit(train, tf, val, NORMALISE); // mid-epoch 2
        Torch.seed(99); // another process: only the checkpoint carries over
        CrateMae second = CrateMae.create(TOY);
        pretrainer(second, options(tmp.resolve("cut"), true).with(edit)).fit(train, tf, val, NORMALISE);

        for (String name : TOY.parameterShapes().keySet()) {
            assertArrayEquals(Torch.toFloats(full.stateDict().get(name)), Torch.toFloats(second.stateDict().get(name)), 0f, name);
        }
        List<Map<String, Double>> a = new MetricsLog(tmp.resolve("full"), true).rows();
        List<Map<String, Double>> b = new MetricsLog(tmp.resolve("cut"), true).rows();
        assertEquals(3, a.size(), "one metrics row per epoch: " + a);
        assertEquals(a.get(2).get("val_loss"), b.get(b.size() - 1).get("val_loss"));
        assertEquals(a.get(2).get("step"), b.get(b.size() - 1).get("step"));
        for (String f : new String[] {"last.safetensors", "metrics.csv", "curves.png", "reconstructions.png"}) {
            assertTrue(Files.isRegularFile(tmp.resolve("cut").resolve(f)), f);
        }
    }
}

package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * K accumulated micro-batches of b images update the model as one batch of K·b: the same samples
 * and augmentations, the mean loss over all of them, one clip of the summed gradient, one step of
 * the schedule. Compared on weights and AdamW moments (its first step only sees the gradients'
 * signs; its moments see their scale). No dropout: micro-batches draw their own masks.
 */
class GradientAccumulationTest {
    @TempDir
    Path tmp;

    /** Trains the toy model of {@link DataParallelWorker} for 2 epochs of 64 images (0: no stop); returns its last checkpoint. */
    private Path train(String name, int batch, int accumSteps, double clip, long stopAfter) {
        Torch.seed(11);
        Crate model = Crate.create(DataParallelWorker.CONFIG);
        TrainOptions o = DataParallelWorker.options(tmp.resolve(name), batch, accumSteps, 2, false).with(b -> { b.clipNorm = clip; return b; });
        Trainer t = new Trainer(model, o, Precision.FP32, GradientSync.none(), Map.of(), List.of());
        if (stopAfter > 0) {
            t.stopAfterStep(stopAfter);
        }
        t.fit(ResumeTest.toyData(64, 1), DataParallelWorker.TRAIN_TF, ResumeTest.toyData(16, 2), DataParallelWorker.EVAL_TF);
        return tmp.resolve(name).resolve("last.safetensors");
    }

    @Test
    void oneStepOfFourMicroBatchesEqualsOneStepOnTheirTotal() {
        DataParallelTrainingTest.assertClose(train("whole-step", 16, 1, 0, 1), train("accumulated-step", 4, 4, 0, 1));
    }

    @Test
    void aWholeRunCountsOptimizerStepsAndEqualsTheLargeBatchRun() {
        Path whole = train("whole", 16, 1, 0, 0), accumulated = train("accumulated", 4, 4, 0, 0);
        DataParallelTrainingTest.assertClose(whole, accumulated);
        TrainCheckpoint.State s = TrainCheckpoint.readState(accumulated);
        assertEquals(2 * 4, s.globalStep(), "64 images / 16 per step = 4 steps per epoch, 2 epochs");
        assertEquals(2 * 4, s.optimizerSteps());
        assertEquals(16, s.globalBatch(), "the checkpoint records images per optimizer step");
    }

    @Test
    void clippingActsOnTheAccumulatedGradient() {
        // a clip far below every gradient norm here: clipping each micro-batch's share instead would change the direction
        DataParallelTrainingTest.assertClose(train("whole-clipped", 16, 1, 0.05, 3), train("accumulated-clipped", 4, 4, 0.05, 3));
    }

    @Test
    void budgetCalibrationCountsPassesNotSteps() {
        assertEquals(5, BudgetPlanner.calibrationSteps(8, 1), "K = 1 as before: at least 5 steps");
        assertEquals(30, BudgetPlanner.calibrationSteps(1000, 1));
        assertEquals(4, BudgetPlanner.calibrationSteps(1000, 8), "30 passes of 8 micro-batches: 4 optimizer steps");
        assertEquals(2, BudgetPlanner.calibrationSteps(8, 8), "never fewer than 2 steps");
        assertEquals(25, BudgetPlanner.replanEvery(1));
        assertEquals(3, BudgetPlanner.replanEvery(8));
    }
}

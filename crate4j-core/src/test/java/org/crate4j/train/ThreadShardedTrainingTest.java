package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.engine.Precision;
import org.crate4j.engine.ThreadShards;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One process on two threads trains with each step's rows cut into two shards
 * ({@link ThreadShards}): it ends where the unsplit run ends, to float rounding, and two split
 * runs end on the same bits; masked pre-training too. A step with patch dropout draws at random
 * inside the model, so it is never split.
 */
class ThreadShardedTrainingTest {
    @TempDir
    Path tmp;

    private final int threadsBefore = Torch.threads();

    @AfterEach
    void restore() {
        ThreadShards.setEnabled(true);
        Torch.setThreads(threadsBefore);
    }

    private Path train(String name, boolean shards, double patchDropout) {
        Torch.setThreads(2);
        ThreadShards.setEnabled(shards);
        Torch.seed(11);
        Crate model = Crate.create(DataParallelWorker.CONFIG);
        TrainOptions o = DataParallelWorker.options(tmp.resolve(name), 16, 1, 2, false)
                .with(b -> { b.patchDropout = patchDropout; b.patchDropoutUntil = 1; return b; });
        new Trainer(model, o, Precision.FP32, GradientSync.none(), Map.of(), List.of())
                .fit(ResumeTest.toyData(64, 1), DataParallelWorker.TRAIN_TF, ResumeTest.toyData(16, 2), DataParallelWorker.EVAL_TF);
        return tmp.resolve(name).resolve("last.safetensors");
    }

    @Test
    void splitStepsEndWhereWholeStepsEndAndRepeatExactly() {
        long before = ThreadShards.shardsRun();
        Path split = train("split", true, 0);
        long shards = ThreadShards.shardsRun() - before;
        assertTrue(shards >= 2 * 8, "8 steps of two shards each (and the evaluations'), ran " + shards);
        Path again = train("split-again", true, 0);
        Path whole = train("whole", false, 0);
        DataParallelTrainingTest.assertClose(whole, split);
        Safetensors.Contents a = Safetensors.read(split), b = Safetensors.read(again);
        for (Map.Entry<String, RawTensor> e : a.tensors().entrySet()) {
            assertArrayEquals(e.getValue().toFloats(), b.tensors().get(e.getKey()).toFloats(), 0f, e.getKey());
        }
    }

    private Path pretrain(String name, boolean shards, boolean normPix, int accumSteps) {
        Torch.setThreads(2);
        ThreadShards.setEnabled(shards);
        Torch.seed(11);
        CrateMae model = CrateMae.create(MaePretrainerTest.TOY.withNormPixLoss(normPix));
        PretrainOptions o = MaePretrainerTest.options(tmp.resolve(name), false).with(b -> { b.accumSteps = accumSteps; return b; });
        MaePretrainerTest.pretrainer(model, o)
                .fit(ResumeTest.toyData(48, 1), MaePretrainerTest.NORMALISE, ResumeTest.toyData(16, 2), MaePretrainerTest.NORMALISE);
        return tmp.resolve(name).resolve("last.safetensors");
    }

    /**
     * Masked pre-training draws its masks for the whole micro-batch on the loop's thread; the
     * shards mask their rows with them. With pixel targets and per-patch normalised ones, whole
     * steps and two accumulated micro-batches.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"false, 1", "true, 1", "true, 2"})
    void splitMaskedPretrainingEndsWhereWholeStepsEndAndRepeatsExactly(boolean normPix, int accumSteps) {
        String tag = "-" + normPix + "-" + accumSteps;
        long before = ThreadShards.shardsRun();
        Path split = pretrain("mae-split" + tag, true, normPix, accumSteps);
        assertTrue(ThreadShards.shardsRun() - before >= 2 * 18, "3 epochs of 6 micro-batches, two shards each");
        Path again = pretrain("mae-split-again" + tag, true, normPix, accumSteps);
        Path whole = pretrain("mae-whole" + tag, false, normPix, accumSteps);
        DataParallelTrainingTest.assertClose(whole, split);
        Safetensors.Contents a = Safetensors.read(split), b = Safetensors.read(again);
        for (Map.Entry<String, RawTensor> e : a.tensors().entrySet()) {
            assertArrayEquals(e.getValue().toFloats(), b.tensors().get(e.getKey()).toFloats(), 0f, e.getKey());
        }
    }

    /**
     * Under fp16 autocast too, split runs end on the same bits. With autocast's process-wide
     * weight cache shared by the shards, 7 of 40 such runs ended elsewhere; 20 runs of a toy model
     * (12 steps each) take about a second.
     */
    @Test
    void splitFp16TrainingRepeatsToTheBit() {
        float[] first = null;
        for (int run = 0; run < 20; run++) {
            Torch.setThreads(2);
            Torch.seed(11);
            Crate model = Crate.create(CrateConfig.of(8, 4, 1, 2, 16, 1, 2)); // LossScalerTest's, which caught it
            TrainOptions o = ResumeTest.options(tmp.resolve("fp16-" + run), false).with(b -> { b.epochs = 2; return b; });
            long before = ThreadShards.shardsRun();
            new Trainer(model, o, Precision.FP16, GradientSync.none(), Map.of(), List.of())
                    .fit(ResumeTest.toyData(48, 1), DataParallelWorker.EVAL_TF, ResumeTest.toyData(16, 2), DataParallelWorker.EVAL_TF);
            assertTrue(ThreadShards.shardsRun() - before >= 2 * 12, "the fp16 steps ran split");
            float[] w = Torch.toFloats(model.parameters().get("transformer.layers.0.1.fn.weight"));
            if (first == null) {
                first = w;
            } else {
                assertArrayEquals(first, w, 0f, "run " + run + " ended on other bits than run 0");
            }
        }
    }

    @Test
    void aStepThatDropsPatchesIsNotSplit() {
        long before = ThreadShards.shardsRun();
        train("dropping", true, 0.5);
        long dropping = ThreadShards.shardsRun() - before; // the evaluations' shards alone
        before = ThreadShards.shardsRun();
        train("keeping", true, 0);
        long keeping = ThreadShards.shardsRun() - before;
        assertEquals(2 * 8, keeping - dropping, "the same evaluations; only the run without patch dropout split its 8 steps");
    }
}

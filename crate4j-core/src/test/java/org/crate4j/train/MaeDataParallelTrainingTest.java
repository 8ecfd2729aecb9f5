package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.crate4j.dist.Launcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRATE-MAE pre-training in two processes (real JVMs over Gloo on 127.0.0.1) with per-process
 * batch b equals one process on batch 2b: the shards interleave, the masks of a global micro-batch
 * are drawn alike on every rank and each keeps its samples' rows, so every sample has the same
 * crop, flip and mask for any world size, and averaging two means over b samples is the mean over
 * 2b. The held-out loss is measured in shares and summed.
 */
class MaeDataParallelTrainingTest {
    static final int PER_RANK_BATCH = 4, EPOCHS = 2, STOP = 5; // 64 samples / global batch 8 = 8 steps per epoch

    @TempDir
    static Path tmp;
    static Path twoProcessRun;

    @BeforeAll
    static void pretrainWithTwoProcesses() {
        twoProcessRun = tmp.resolve("two");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new DataParallelTrainingTest.Tee(captured, System.out), true, StandardCharsets.UTF_8);
        Launcher.Job job = Launcher.start(new Launcher.Spec(MaeDataParallelWorker.command(),
                List.of(twoProcessRun.toString(), String.valueOf(PER_RANK_BATCH), String.valueOf(EPOCHS), String.valueOf(STOP), "false"),
                2, 1, 0, "127.0.0.1", Launcher.freeLoopbackPort(), Duration.ofSeconds(30), 1, Duration.ofSeconds(3)),
                Map.of("CRATE4J_BUCKET_MB", "0.004"), out, out);
        assertEquals(0, job.waitFor(), "the two-process run failed:\n" + captured);
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("gradient syncs"), "rank 0 reports its traffic:\n" + captured);
    }

    @Test
    void twoProcessesEqualOneProcessOnTheDoubledBatch() throws IOException {
        Path single = tmp.resolve("one");
        MaeDataParallelWorker.train(GradientSync.none(), single, 2 * PER_RANK_BATCH, EPOCHS, STOP, false);
        DataParallelTrainingTest.assertClose(single.resolve("last.safetensors"), twoProcessRun.resolve("last.safetensors"));
        TrainCheckpoint.State s = TrainCheckpoint.readState(twoProcessRun.resolve("last.safetensors"));
        assertEquals(STOP, s.globalStep());
        assertEquals(2, s.worldSize());
        assertEquals(2 * PER_RANK_BATCH, s.globalBatch());
        // the epoch row: training loss over both shards, held-out loss over both halves of the held-out set
        Map<String, Double> one = lastRow(single), two = lastRow(twoProcessRun);
        assertEquals(one.get("train_loss"), two.get("train_loss"), 1e-6 * one.get("train_loss"));
        assertEquals(one.get("val_loss"), two.get("val_loss"), 1e-6 * one.get("val_loss"));
        assertTrue(Files.isRegularFile(twoProcessRun.resolve("reconstructions.png")), "rank 0 writes the sheet");
    }

    @Test
    void resumesATwoProcessCheckpointInOneProcess() throws IOException {
        Path uninterrupted = tmp.resolve("full");
        MaeDataParallelWorker.train(GradientSync.none(), uninterrupted, 2 * PER_RANK_BATCH, EPOCHS, 0, false);
        Path resumed = DataParallelTrainingTest.copy(twoProcessRun, tmp.resolve("resumed"));
        // the same global batch: continues mid-epoch exactly where the two processes stopped
        MaePretrainer.Summary r = MaeDataParallelWorker.train(GradientSync.none(), resumed, 2 * PER_RANK_BATCH, EPOCHS, 0, true);
        assertEquals(EPOCHS * 8, r.steps());
        DataParallelTrainingTest.assertClose(uninterrupted.resolve("last.safetensors"), resumed.resolve("last.safetensors"));
    }

    private static Map<String, Double> lastRow(Path run) {
        List<Map<String, Double>> rows = new MetricsLog(run, true).rows();
        return rows.get(rows.size() - 1);
    }
}

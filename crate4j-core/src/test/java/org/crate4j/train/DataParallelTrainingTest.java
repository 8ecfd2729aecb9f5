package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.dist.Launcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes (real JVMs over Gloo on 127.0.0.1) training with per-process batch b equal one
 * process training on batch 2b: the DistributedSampler shards interleave, so global batch k holds
 * the same samples with the same augmentations for any world size, and averaging two means over b
 * samples is the mean over 2b.
 */
class DataParallelTrainingTest {
    static final int PER_RANK_BATCH = 4, EPOCHS = 2, STOP = 5; // 64 samples / global batch 8 = 8 steps per epoch

    @TempDir
    static Path tmp;
    static Path twoProcessRun;
    static String launchOutput;

    @BeforeAll
    static void trainWithTwoProcesses() {
        twoProcessRun = tmp.resolve("two");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(captured, System.out), true, StandardCharsets.UTF_8);
        Launcher.Job job = Launcher.start(spec(twoProcessRun, List.of(String.valueOf(PER_RANK_BATCH), String.valueOf(EPOCHS),
                String.valueOf(STOP), "false"), Duration.ofSeconds(30)), Map.of("CRATE4J_BUCKET_MB", "0.004"), out, out); // several buckets
        assertEquals(0, job.waitFor(), "the two-process run failed:\n" + captured);
        launchOutput = captured.toString(StandardCharsets.UTF_8);
    }

    static Launcher.Spec spec(Path out, List<String> args, Duration timeout) {
        List<String> all = new java.util.ArrayList<>(List.of(out.toString()));
        all.addAll(args);
        return new Launcher.Spec(DataParallelWorker.command(), all, 2, 1, 0, "127.0.0.1",
                Launcher.freeLoopbackPort(), timeout, 1, Duration.ofSeconds(3));
    }

    static Trainer.Summary oneProcess(Path out, int batch, long stopAfter, boolean resume) {
        return DataParallelWorker.train(GradientSync.none(), out, batch, 1, EPOCHS, stopAfter, resume);
    }

    @Test
    void twoProcessesEqualOneProcessOnTheDoubledBatch() {
        Path single = tmp.resolve("one");
        oneProcess(single, 2 * PER_RANK_BATCH, STOP, false);
        assertClose(single.resolve("last.safetensors"), twoProcessRun.resolve("last.safetensors"));
        TrainCheckpoint.State s = TrainCheckpoint.readState(twoProcessRun.resolve("last.safetensors"));
        assertEquals(STOP, s.globalStep());
        assertEquals(2, s.worldSize());
        assertEquals(2 * PER_RANK_BATCH, s.globalBatch());
        assertTrue(launchOutput.contains("gradient syncs"), "rank 0 reports its traffic:\n" + launchOutput);
    }

    /**
     * Two processes × micro-batch 2 × 2 accumulation steps equal one process on batch 8: the shards
     * of two consecutive micro-batches together hold global batch k, and the gradient hooks stay
     * idle until the last micro-batch, whose backward then packs the summed gradient, so each
     * step costs one allreduce and still overlaps backward.
     */
    @Test
    void twoProcessesAccumulatingMicroBatchesEqualOneProcessOnTheWholeBatch() {
        Path accumulated = tmp.resolve("two-accumulating");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(captured, System.out), true, StandardCharsets.UTF_8);
        Launcher.Job job = Launcher.start(spec(accumulated, List.of(String.valueOf(PER_RANK_BATCH / 2), String.valueOf(EPOCHS),
                String.valueOf(STOP), "false", "2"), Duration.ofSeconds(30)), Map.of("CRATE4J_BUCKET_MB", "0.004"), out, out);
        assertEquals(0, job.waitFor(), "the two-process run failed:\n" + captured);
        Path single = tmp.resolve("one-for-accumulation");
        oneProcess(single, 2 * PER_RANK_BATCH, STOP, false);
        assertClose(single.resolve("last.safetensors"), accumulated.resolve("last.safetensors"));
        TrainCheckpoint.State s = TrainCheckpoint.readState(accumulated.resolve("last.safetensors"));
        assertEquals(STOP, s.globalStep());
        assertEquals(2 * PER_RANK_BATCH, s.globalBatch(), "2 processes × 2 × 2");
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("communication: " + STOP + " gradient syncs"), "one allreduce per optimizer step, not per micro-batch:\n" + log);
        Matcher overlap = Pattern.compile("(\\d+) of them started during backward").matcher(log);
        assertTrue(overlap.find() && Integer.parseInt(overlap.group(1)) > 0, "buckets start during the last backward:\n" + log);
    }

    @Test
    void resumesATwoProcessCheckpointInOneProcess() throws IOException {
        Path uninterrupted = tmp.resolve("full");
        oneProcess(uninterrupted, 2 * PER_RANK_BATCH, 0, false);
        Path resumed = copy(twoProcessRun, tmp.resolve("resumed"));
        // same global batch: continues mid-epoch exactly where the two processes stopped
        Trainer.Summary r = oneProcess(resumed, 2 * PER_RANK_BATCH, 0, true);
        assertEquals(EPOCHS * 8, r.steps());
        assertClose(uninterrupted.resolve("last.safetensors"), resumed.resolve("last.safetensors"));
    }

    @Test
    void resumeWithAnotherGlobalBatchStartsAtTheNextEpoch() throws IOException {
        Path resumed = copy(twoProcessRun, tmp.resolve("halved"));
        Trainer.Summary r = oneProcess(resumed, PER_RANK_BATCH, 0, true); // global batch 4: 16 steps per epoch
        TrainCheckpoint.State s = TrainCheckpoint.readState(resumed.resolve("last.safetensors"));
        assertEquals(EPOCHS, s.epoch());
        assertEquals(EPOCHS * 16, s.globalStep(), "the schedule is rescaled to the new steps per epoch");
        assertEquals(s.globalStep(), r.steps());
        assertEquals(PER_RANK_BATCH, s.globalBatch());
    }

    /**
     * Each tensor within 1e-5 of the reference, relative to the tensor's largest entry: the weights,
     * and the optimizer's moments (AdamW's step is blind to the gradients' scale, its moments are not).
     */
    static void assertClose(Path expectedFile, Path actualFile) {
        Safetensors.Contents expected = Safetensors.read(expectedFile), actual = Safetensors.read(actualFile);
        assertTrue(expected.tensors().keySet().stream().anyMatch(k -> k.startsWith(WeightsFile.OPTIMIZER_PREFIX)));
        assertEquals(expected.tensors().keySet(), actual.tensors().keySet());
        for (Map.Entry<String, RawTensor> e : expected.tensors().entrySet()) {
            float[] a = e.getValue().toFloats(), b = actual.tensors().get(e.getKey()).toFloats();
            double scale = 0, diff = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            assertTrue(diff <= 1e-5 * scale, e.getKey() + ": max difference " + diff + " vs largest entry " + scale);
        }
    }

    static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** Keeps the workers' output for assertions and shows it in the test log. */
    static final class Tee extends OutputStream {
        private final OutputStream a, b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}

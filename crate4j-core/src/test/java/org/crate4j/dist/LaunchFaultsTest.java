package org.crate4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.crate4j.train.TrainCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dead or frozen worker never leaves the others hanging: they stop with one line naming it, the
 * launcher exits non-zero, and the last checkpoint survives. Workers are real JVMs on 127.0.0.1.
 */
class LaunchFaultsTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);

    /** Two workers training the toy model for many epochs (until something stops them). */
    Launcher.Job launch(Duration timeout) {
        Launcher.Spec spec = new Launcher.Spec(org.crate4j.train.DataParallelWorker.command(),
                List.of(tmp.toString(), "4", "500", "0", "false"), 2, 1, 0, "127.0.0.1", Launcher.freeLoopbackPort(), timeout, 1,
                Duration.ofSeconds(3));
        return Launcher.start(spec, Map.of(), out, out);
    }

    String output() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    void awaitOutput(Predicate<String> condition, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.test(output())) {
            assertTrue(System.nanoTime() < deadline, "waited " + limit.toSeconds() + " s for the workers; output:\n" + output());
            Thread.sleep(50);
        }
    }

    @Test
    void killedWorkerFailsTheJobFast() throws Exception {
        Duration timeout = Duration.ofSeconds(30);
        Launcher.Job job = launch(timeout);
        awaitOutput(o -> o.contains("[rank 0] epoch 1.00:"), Duration.ofSeconds(60));
        long t0 = System.nanoTime();
        job.workers().get(1).destroyForcibly(); // SIGKILL
        int code = job.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertNotEquals(0, code);
        assertTrue(seconds < 10, "the job stopped " + seconds + " s after the kill; the timeout is " + timeout.toSeconds() + " s");
        assertTrue(output().contains("crate launch: rank 1 was killed by SIGKILL"), output());
        assertTrue(output().lines().anyMatch(l -> l.startsWith("[rank 0] crate: rank 0: ") && l.contains("rank 1 stopped responding")),
                output());
        TrainCheckpoint.State last = TrainCheckpoint.readState(tmp.resolve("last.safetensors"));
        assertTrue(last.epoch() >= 1, "the last good checkpoint survives: " + last);
    }

    @Test
    void theSurvivorOfAKilledRankZeroSaysSoInOneLineWithoutNativeFrames() throws Exception {
        Launcher.Job job = launch(Duration.ofSeconds(30));
        awaitOutput(o -> o.contains("[rank 0] epoch 1.00:"), Duration.ofSeconds(60));
        job.workers().get(0).destroyForcibly(); // rank 0 hosts the store: the survivor's store calls fail in c10d
        assertNotEquals(0, job.waitFor());
        List<String> survivor = output().lines().filter(l -> l.startsWith("[rank 1]")).toList();
        assertTrue(survivor.stream().anyMatch(l -> l.startsWith("[rank 1] crate: rank 1: ") && l.contains("rank 0 is gone")), output());
        // c10d logs every failed store call with its native stack unless libtorch's warnings are off (Torch.nativeWarnings)
        assertTrue(survivor.stream().noneMatch(l -> l.contains("frame #") || l.contains("Exception raised from")), output());
    }

    @Test
    void frozenWorkerIsNamedAfterTheTimeout() throws Exception {
        Duration timeout = Duration.ofSeconds(3);
        Launcher.Job job = launch(timeout);
        awaitOutput(o -> o.contains("[rank 0] epoch 1.00:"), Duration.ofSeconds(60));
        Process frozen = job.workers().get(1);
        long t0 = System.nanoTime();
        assertEquals(0, new ProcessBuilder("kill", "-STOP", String.valueOf(frozen.pid())).start().waitFor());
        try {
            awaitOutput(o -> o.contains("[rank 0] crate: rank 0: "), Duration.ofSeconds(20));
        } finally {
            frozen.destroyForcibly();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertNotEquals(0, job.waitFor());
        String line = output().lines().filter(l -> l.startsWith("[rank 0] crate: rank 0: ")).findFirst().orElseThrow();
        assertTrue(line.contains("rank 1 stopped responding") && line.contains("failed after"), line);
        assertTrue(seconds < timeout.toSeconds() + 6, "named " + seconds + " s after the freeze: " + line);
        assertTrue(Files.isRegularFile(tmp.resolve("last.safetensors")));
    }
}

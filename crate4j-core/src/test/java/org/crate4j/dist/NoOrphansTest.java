package org.crate4j.dist;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 of the launcher leaves no worker behind. */
class NoOrphansTest {
    @TempDir
    Path tmp;

    @Test
    void workersStopWithinSecondsWhenTheirLauncherIsKilled() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(Launcher.javaCommand(cp, OrphanLauncher.class.getName()));
        cmd.add(tmp.toString());
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<Long> pids = new ArrayList<>();
        StringBuilder seen = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            String line;
            // wait until both workers train (their watch starts when they join the job)
            while ((line = r.readLine()) != null && System.nanoTime() < deadline) {
                seen.append(line).append('\n');
                if (line.startsWith("worker pids:")) {
                    for (String p : line.substring("worker pids:".length()).trim().split(" ")) {
                        pids.add(Long.parseLong(p));
                    }
                }
                if (line.contains("[rank 0] epoch 1.00:")) {
                    break;
                }
            }
            assertTrue(pids.size() == 2 && seen.indexOf("epoch 1.00") >= 0, "the job did not start:\n" + seen);
            launcher.destroyForcibly(); // SIGKILL: no shutdown hook of the launcher runs
            launcher.waitFor(10, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            for (long pid : pids) {
                while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (s > 10) {
                        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                        throw new AssertionError("worker " + pid + " still running " + s + " s after its launcher was killed");
                    }
                    Thread.sleep(50);
                }
            }
        } finally {
            launcher.destroyForcibly();
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}

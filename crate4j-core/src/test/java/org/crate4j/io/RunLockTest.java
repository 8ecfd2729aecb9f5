package org.crate4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.crate4j.CrateException;
import org.crate4j.dist.Launcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A second writer on a run folder is refused with the holder named; a dead holder's lock is taken over. */
class RunLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondWriterInThisProcessIsRefusedUntilTheFirstCloses() {
        try (RunLock first = RunLock.acquire(dir, "training run")) {
            assertNull(first.previousHolder());
            CrateException e = assertThrows(CrateException.class, () -> RunLock.acquire(dir, "training run"));
            assertTrue(e.getMessage().startsWith(dir + " is in use by another training run (pid " + ProcessHandle.current().pid()),
                    e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve(RunLock.FILE)), "released and removed");
        RunLock.acquire(dir, "training run").close();
    }

    @Test
    void anotherProcessHoldingTheFolderIsNamedAndItsDeathFreesIt() throws Exception {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        java.util.List<String> cmd = new java.util.ArrayList<>(Launcher.javaCommand(cp, RunLockHolder.class.getName()));
        cmd.add(dir.toString());
        Process holder = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(holder.getInputStream()));
            assertEquals("locked", r.readLine());
            CrateException e = assertThrows(CrateException.class, () -> RunLock.acquire(dir, "training run"));
            assertTrue(e.getMessage().contains("(pid " + holder.pid() + " on "), e.getMessage());
            holder.destroyForcibly(); // kill -9: the holder cannot clean up
            assertTrue(holder.waitFor(10, TimeUnit.SECONDS));
            assertTrue(Files.exists(dir.resolve(RunLock.FILE)), "the dead holder's file is still there");
            try (RunLock taken = RunLock.acquire(dir, "training run")) {
                assertTrue(taken.previousHolder().startsWith("pid " + holder.pid()), taken.previousHolder());
            }
        } finally {
            holder.destroyForcibly();
        }
    }
}

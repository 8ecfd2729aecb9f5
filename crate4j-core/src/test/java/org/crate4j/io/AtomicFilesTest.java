package org.crate4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.viz.AtomicWrite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void aKilledWritersTemporaryFileIsRemovedByTheNextWriteInTheFolder() throws Exception {
        Path stale = dir.resolve(".last.safetensors." + deadPid() + "-42.crate4j.tmp");
        Path live = dir.resolve(".other.json." + ProcessHandle.current().pid() + "-7.crate4j.tmp"); // a write of ours in progress
        Path foreign = dir.resolve(".someone-else.tmp");
        for (Path p : new Path[] {stale, live, foreign}) {
            Files.writeString(p, "partial");
        }
        AtomicWrite.text("{}", dir.resolve("run.json"));
        assertFalse(Files.exists(stale), "the dead writer's leftover is gone");
        assertTrue(Files.exists(live) && Files.exists(foreign), "a live writer's file and files not ours stay");
        assertEquals("{}", Files.readString(dir.resolve("run.json")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.filter(p -> p.toString().endsWith(".crate4j.tmp") && !p.equals(live)).count(), "no leftover of this write");
        }
    }

    @Test
    void writtenFilesFollowTheUmaskNotOwnerOnly() throws Exception {
        Path f = dir.resolve("w.safetensors");
        Safetensors.write(f, Map.of("x", RawTensor.ofFloats(new float[] {1, 2}, 2)), Map.of());
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
        Path probe = Files.createFile(dir.resolve("probe")); // what the umask gives any new file
        assertEquals(Files.getPosixFilePermissions(probe), perms);
    }

    @Test
    void aDirectoryGivenAsAFileSaysSo() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("weights.pth"));
        CrateException e = assertThrows(CrateException.class, () -> WeightsFile.read(folder));
        assertEquals("weights file " + folder + " is a directory, not a file", e.getMessage());
        CrateException missing = assertThrows(CrateException.class, () -> WeightsFile.read(dir.resolve("nope.pth")));
        assertTrue(missing.getMessage().endsWith("does not exist"), missing.getMessage());
        Path file = Files.writeString(dir.resolve("data"), "x");
        CrateException notDir = assertThrows(CrateException.class, () -> Inputs.requireDirectory(file, "data directory"));
        assertEquals("data directory " + file + " is a file, not a directory", notDir.getMessage());
    }
}

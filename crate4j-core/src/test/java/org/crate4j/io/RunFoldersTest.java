package org.crate4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFoldersTest {
    @TempDir
    Path base;

    @Test
    void runsStartedInTheSameSecondGetTwoFoldersAndLatestPointsAtTheNewest() throws Exception {
        LocalDateTime t = LocalDateTime.of(2026, 12, 1, 10, 30, 5);
        Path a = RunFolders.fresh(base, "crate-fmnist", t);
        Path b = RunFolders.fresh(base, "crate-fmnist", t);
        assertEquals("20261201-103005-crate-fmnist", a.getFileName().toString());
        assertEquals("20261201-103005-crate-fmnist-2", b.getFileName().toString());
        assertNotEquals(a, b);
        assertEquals(b.toRealPath(), base.resolve("latest").toRealPath());
        assertEquals(Path.of(b.getFileName().toString()), Files.readSymbolicLink(base.resolve("latest")), "a relative link");
    }

    @Test
    void anExplicitOutHoldingARunIsRefusedUnlessResumedOrOverwritten() throws Exception {
        Path out = Files.createDirectories(base.resolve("run"));
        RunFolders.checkExplicit(out, false, false); // empty: fine
        Files.writeString(out.resolve("metrics.jsonl"), "{}\n");
        Files.writeString(out.resolve("last.safetensors"), "x");
        CrateException e = assertThrows(CrateException.class, () -> RunFolders.checkExplicit(out, false, false));
        assertEquals("--out " + out + " already holds a run (last.safetensors, metrics.jsonl): pass --resume to continue it, "
                + "--overwrite to replace it, or choose another --out", e.getMessage());
        RunFolders.checkExplicit(out, true, false);
        RunFolders.checkExplicit(out, false, true);
        Path file = Files.writeString(base.resolve("afile"), "x");
        assertTrue(assertThrows(CrateException.class, () -> RunFolders.checkExplicit(file, false, false)).getMessage().contains("is a file"));
    }
}

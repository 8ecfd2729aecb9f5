package org.crate4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GemmPeakTest {
    @TempDir
    Path home;

    @Test
    void thePeakIsMeasuredOnceThenReadFromTheCacheUntilAskedAgain() {
        String before = System.getProperty("user.home");
        System.setProperty("user.home", home.toString());
        try {
            Torch.init();
            GemmPeak.Peak first = GemmPeak.of(Device.CPU, Precision.FP32, false);
            assertFalse(first.cached());
            assertTrue(first.gflops() > 0.1 && first.n() >= 512, first.toString());
            assertTrue(Files.isRegularFile(home.resolve(".crate4j/gemm-peak.json")));
            GemmPeak.Peak second = GemmPeak.of(Device.CPU, Precision.FP32, false);
            assertTrue(second.cached());
            assertEquals(first.gflops(), second.gflops());
            assertFalse(GemmPeak.of(Device.CPU, Precision.FP32, true).cached(), "--peak measures again");
        } finally {
            System.setProperty("user.home", before);
        }
    }
    @Test
    void thePeakIsMeasuredOnEveryThreadAndOpenBlasGoesBackToOneAfter() {
        Torch.init();
        int seen = Torch.withBlasThreads(Torch.threads(), org.bytedeco.openblas.presets.openblas_nolapack::blas_get_num_threads);
        assertEquals(Math.min(Torch.threads(), Runtime.getRuntime().availableProcessors()), seen);
        assertEquals(1, org.bytedeco.openblas.presets.openblas_nolapack.blas_get_num_threads());
    }
}

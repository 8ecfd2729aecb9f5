package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import org.crate4j.engine.GemmPeak;
import org.crate4j.train.Benchmark;
import org.junit.jupiter.api.Test;

class UtilisationTest {
    @Test
    void mfuIsAchievedOverPeakForTheWholeJob() {
        Benchmark.Result r = new Benchmark.Result("crate-tiny", 32, 2, 1, 1, "fp32", "cpu", 20, 7, 40, 60, 900, 6_090_856, 5);
        GemmPeak.Peak p = new GemmPeak.Peak(50, 2048, "fp32", "cpu", 1, "test cpu", true);
        JsonObject o = Utilisation.json(r, p, 100);
        assertEquals(0.4, o.get("forwardMfu").getAsDouble(), 1e-12);
        assertEquals(0.6, o.get("trainMfu").getAsDouble(), 1e-12);
        assertEquals(50, o.get("peakGflopsPerProcess").getAsDouble());
        String line = Utilisation.line(r, p, 100);
        assertTrue(line.contains("40.0 GFLOP/s = 40% of peak") && line.contains("60.0 GFLOP/s = 60% of peak"), line);
        assertTrue(line.contains("1 thread x 2 processes:"), line);
        assertEquals(1, o.get("shards").getAsInt());
        Benchmark.Result split = new Benchmark.Result("crate-tiny", 32, 1, 2, 2, "fp32", "cpu", 20, 7, 40, 60, 900, 6_090_856, 5);
        assertTrue(Utilisation.line(split, p, 100).contains("2 threads x 1 process (2 row shards per batch):"), Utilisation.line(split, p, 100));
    }
}

package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** crate bench --scaling on a tiny model: every point in its own process, the time limit, the files. */
class ScalingBenchTest {
    @TempDir
    Path tmp;

    @Test
    void sweepsEverySeriesAndWritesJsonAndALogLogPlot() throws Exception {
        Path json = tmp.resolve("s.json");
        CliTest.Run r = CliTest.run("bench", "--scaling", "--dim", "32", "--depth", "1", "--heads", "2", "--tokens", "4,16",
                "--threads", "1", "--out", json.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonArray points = o.getAsJsonArray("points");
        assertEquals(6, points.size(), "three series at two token counts");
        for (var p : points) {
            JsonObject q = p.getAsJsonObject();
            assertEquals("ok", q.get("status").getAsString(), q.toString());
            assertTrue(q.get("trainSec").getAsDouble() > 0 && q.get("forwardSec").getAsDouble() > 0, q.toString());
        }
        assertEquals(16, points.get(1).getAsJsonObject().get("patches").getAsLong());
        assertEquals(32, points.get(1).getAsJsonObject().get("image").getAsInt(), "16 patches: patch 8 on 32 x 32");
        assertTrue(o.get("memory").getAsString().contains("clear_refs"));
        assertTrue(ImageIO.read(tmp.resolve("s.png").toFile()).getWidth() >= 1200);
        assertTrue(r.out().contains("tssa: train step x"), r.out());
    }

    @Test
    void aPointPastItsTimeLimitEndsItsSeries() throws Exception {
        Path json = tmp.resolve("slow.json");
        CliTest.Run r = CliTest.run("bench", "--scaling", "--dim", "32", "--depth", "1", "--heads", "2", "--tokens", "4,16",
                "--series", "tssa", "--time-limit", "0.05", "--out", json.toString());
        assertEquals(0, r.code(), r.err());
        JsonArray points = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("points");
        assertTrue(points.get(0).getAsJsonObject().get("status").getAsString().startsWith("too slow"), points.toString());
        assertTrue(points.get(1).getAsJsonObject().get("status").getAsString().startsWith("skipped: too slow"), points.toString());
        assertTrue(r.out().contains("tssa: wall at n = 4: too slow"), r.out());
        CliTest.Run bad = CliTest.run("bench", "--scaling", "--tokens", "200", "--out", json.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("not a square number of patches"), bad.err());
    }
}

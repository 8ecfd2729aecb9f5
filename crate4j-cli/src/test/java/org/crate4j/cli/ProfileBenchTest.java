package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.crate4j.engine.OpProfiler.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** crate bench --profile: a table on stdout and a JSON file with every kind in every phase, for each attention path. */
class ProfileBenchTest {
    @TempDir
    Path tmp;

    private JsonObject profile(String... args) throws Exception {
        Path json = tmp.resolve("p.json");
        String[] all = new String[args.length + 6];
        System.arraycopy(new String[] {"bench", "--profile", "--steps", "1", "--profile-out", json.toString()}, 0, all, 0, 6);
        System.arraycopy(args, 0, all, 6, args.length);
        CliTest.Run r = CliTest.run(all);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("train backward") && r.out().contains("gemm"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        for (String phase : new String[] {"inference", "forward", "backward", "update"}) {
            JsonObject p = o.getAsJsonObject(phase);
            for (Kind k : Kind.values()) {
                assertTrue(p.get(k.key).getAsDouble() >= 0, phase + " " + k.key + ": " + p);
            }
            assertTrue(p.get("wallSeconds").getAsDouble() > 0, p.toString());
        }
        return o;
    }

    @Test
    void profilesCrateTinyAndTheFashionMnistModelOnEveryAttentionPath() throws Exception {
        JsonObject tiny = profile("--model", "crate-tiny", "--batch", "1", "--warmup", "0");
        assertTrue(tiny.getAsJsonObject("backward").get("gemm").getAsDouble() > 0, tiny.toString());
        assertEquals("crate-tiny", tiny.get("model").getAsString());
        for (String attention : new String[] {"sdpa", "matmul", "tssa"}) {
            JsonObject o = profile("--model", "crate-fmnist", "--batch", "4", "--attention", attention);
            assertTrue(o.getAsJsonObject("forward").get("attention").getAsDouble() > 0, attention + ": " + o);
            assertTrue(o.getAsJsonObject("backward").get("attention").getAsDouble() > 0, attention + ": " + o);
        }
    }

    @Test
    void refusesAnUnwritableOutputWithOneLine() throws Exception {
        Path file = tmp.resolve("file");
        Files.writeString(file, "x");
        CliTest.Run r = CliTest.run("bench", "--profile", "--model", "crate-fmnist", "--batch", "2", "--steps", "1", "--warmup", "0",
                "--profile-out", file.resolve("p.json").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("crate: cannot write"), r.err());
    }
}

package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.crate4j.io.RunLock;
import org.crate4j.io.TensorBoardEventsTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs never overwrite each other, say how they were made (run.json), and log steps to metrics.jsonl and TensorBoard. */
class RunFoldersTest {
    @TempDir
    Path tmp;

    @BeforeEach
    void runsUnderTmp() {
        System.setProperty("crate4j.runs", tmp.resolve("runs").toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty("crate4j.runs");
    }

    Path data() {
        Path d = tmp.resolve("data");
        assertEquals(0, CliTest.run("make-synthetic", "--out", d.toString(), "--train", "12", "--val", "6", "--size", "16").code());
        return d;
    }

    static List<String> tinyTrain(Path data, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "16",
                "--patch", "4", "--patch-window", "4", "--patch-code", "0", "--dim", "16", "--depth", "1", "--heads", "2",
                "--epochs", "2", "--batch", "4", "--workers", "0", "--nproc", "1", "--threads", "1", "--log-every", "1"));
        a.addAll(List.of(more));
        return a;
    }

    static JsonObject json(Path f) throws Exception {
        return JsonParser.parseString(Files.readString(f)).getAsJsonObject();
    }

    static List<Path> runFolders(Path base) throws Exception {
        try (Stream<Path> s = Files.list(base)) {
            return s.filter(p -> !p.getFileName().toString().equals("latest")).sorted().toList();
        }
    }

    @Test
    void twoRunsInARowLeaveTwoCompleteFoldersThatRecordThemselves() throws Exception {
        Path data = data();
        CliTest.Run first = CliTest.run(tinyTrain(data).toArray(String[]::new));
        assertEquals(0, first.code(), first.err());
        CliTest.Run second = CliTest.run(tinyTrain(data).toArray(String[]::new));
        assertEquals(0, second.code(), second.err());
        Path base = tmp.resolve("runs/train");
        List<Path> runs = runFolders(base);
        assertEquals(2, runs.size(), runs.toString());
        assertEquals(runs.get(1).toRealPath(), base.resolve("latest").toRealPath());
        for (Path run : runs) {
            for (String f : List.of("last.safetensors", "best.safetensors", "metrics.csv", "metrics.jsonl", "curves.png", "run.json")) {
                assertTrue(Files.isRegularFile(run.resolve(f)), run + " lacks " + f);
            }
            assertTrue(Files.exists(run.resolve(RunLock.FILE)) == false, "the lock is released");
        }
        // run.json: the resolved settings, the machine, the schedule and the final figures
        JsonObject rec = json(runs.get(0).resolve("run.json"));
        assertEquals("train", rec.getAsJsonArray("command").get(0).getAsString());
        assertEquals(0.002 * 4 / 128, rec.getAsJsonObject("options").get("lr").getAsDouble(), 1e-12); // the recipe's lr scaled to batch 4
        assertEquals(16, rec.getAsJsonObject("model").getAsJsonObject("config").get("dim").getAsInt());
        assertTrue(rec.getAsJsonObject("machine").get("cores").getAsInt() >= 1);
        assertEquals(6, rec.getAsJsonObject("schedule").get("total_steps").getAsLong()); // 12 images / 4 per step × 2 epochs
        assertTrue(rec.has("started") && rec.has("ended") && rec.getAsJsonObject("final").has("val_top1"), rec.toString());
        // metrics.jsonl: a row per step (--log-every 1) among the epoch rows
        List<String> lines = Files.readAllLines(runs.get(0).resolve("metrics.jsonl"));
        assertEquals(6 + 2, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).contains("\"grad_norm\"") && lines.get(3).contains("\"val_loss\""), lines.get(3));
        // TensorBoard: the event file parses back with a train/loss per step and the epoch's val/top1
        Path events;
        try (Stream<Path> s = Files.list(runs.get(0))) {
            events = s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).findFirst().orElseThrow();
        }
        List<TensorBoardEventsTest.Event> ev = TensorBoardEventsTest.read(events);
        assertEquals("brain.Event:2", ev.get(0).version());
        long losses = ev.stream().filter(e -> e.scalars().containsKey("train/loss")).count();
        assertEquals(6, losses);
        JsonObject step3 = JsonParser.parseString(lines.get(2)).getAsJsonObject();
        float loss3 = ev.stream().filter(e -> e.step() == 3 && e.scalars().containsKey("train/loss")).findFirst().orElseThrow()
                .scalars().get("train/loss");
        assertEquals((float) step3.get("loss").getAsDouble(), loss3);
        assertEquals(2, ev.stream().filter(e -> e.scalars().containsKey("val/top1")).count());
    }

    @Test
    void anOutHoldingARunIsRefusedUnlessOverwrittenAndRunJsonReproducesTheRun() throws Exception {
        Path data = data();
        Path out = tmp.resolve("mine");
        assertEquals(0, CliTest.run(tinyTrain(data, "--out", out.toString()).toArray(String[]::new)).code());
        CliTest.Run again = CliTest.run(tinyTrain(data, "--out", out.toString()).toArray(String[]::new));
        assertEquals(2, again.code());
        assertTrue(again.err().trim().startsWith("crate: --out " + out + " already holds a run (run.json, last.safetensors"),
                again.err());
        // a second writer while the first holds the folder
        try (RunLock held = RunLock.acquire(out, "training run")) {
            CliTest.Run busy = CliTest.run(tinyTrain(data, "--out", out.toString(), "--overwrite").toArray(String[]::new));
            assertEquals(2, busy.code());
            assertTrue(busy.err().contains("is in use by another training run (pid " + ProcessHandle.current().pid()), busy.err());
        }
        // run.json reproduces the run: same resolved settings, same numbers (training is deterministic)
        CliTest.Run re = CliTest.run("train", "--config", out.resolve("run.json").toString(), "--workers", "0");
        assertEquals(0, re.code(), re.err());
        Path copy = runFolders(tmp.resolve("runs/train")).get(0);
        assertNotEquals(out, copy);
        JsonObject a = json(out.resolve("run.json")), b = json(copy.resolve("run.json"));
        assertEquals(a.get("resolved_argv"), b.get("resolved_argv"));
        List<String> ea = Files.readAllLines(out.resolve("metrics.jsonl")), eb = Files.readAllLines(copy.resolve("metrics.jsonl"));
        JsonObject lastA = JsonParser.parseString(ea.get(ea.size() - 1)).getAsJsonObject();
        JsonObject lastB = JsonParser.parseString(eb.get(eb.size() - 1)).getAsJsonObject();
        assertEquals(lastA.get("train_loss").getAsDouble(), lastB.get("train_loss").getAsDouble(), 1e-9);
        assertEquals(a.getAsJsonObject("final").get("val_loss").getAsDouble(), b.getAsJsonObject("final").get("val_loss").getAsDouble(), 1e-9);
        // --overwrite replaces the run in place
        CliTest.Run over = CliTest.run(tinyTrain(data, "--out", out.toString(), "--overwrite", "--epochs", "1").toArray(String[]::new));
        assertEquals(0, over.code(), over.err());
        assertEquals(1 + 3, Files.readAllLines(out.resolve("metrics.jsonl")).size(), "the old rows are gone");
    }
}

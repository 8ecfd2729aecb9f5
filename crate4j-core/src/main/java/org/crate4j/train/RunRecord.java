package org.crate4j.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSerializer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.data.BadFiles;
import org.crate4j.viz.AtomicWrite;

/**
 * {@code run.json}: how a run folder was made, after timm's {@code args.yaml} and Lightning's
 * {@code hparams.yaml}. Written when the run starts (the settings the caller resolved — every
 * option after recipe, preset and processes —, versions, machine, the schedule the planner chose,
 * the start time) and again when it ends (end time, final figures). A resumed run keeps the first
 * record's settings and start under {@code "first"} and adds its own.
 */
public final class RunRecord implements TrainingListener {
    public static final String FILE = "run.json";
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .registerTypeHierarchyAdapter(Path.class, (JsonSerializer<Path>) (p, t, c) -> new JsonPrimitive(p.toString()))
            .create();
    private final Map<String, Object> settings;
    private final JsonObject record = new JsonObject();
    private Path file;

    /** {@code settings}: what the caller knows (command line, resolved options, model config, device, precision …). */
    public RunRecord(Map<String, Object> settings) {
        this.settings = new LinkedHashMap<>(settings);
    }

    @Override
    public void onStart(Start s) {
        file = s.outDir().resolve(FILE);
        JsonObject previous = readPrevious(file, s.resumed());
        settings.forEach((k, v) -> record.add(k, GSON.toJsonTree(v)));
        record.add("machine", machine());
        JsonObject schedule = new JsonObject();
        schedule.addProperty("task", s.task().name().toLowerCase(java.util.Locale.ROOT));
        schedule.addProperty("total_steps", s.totalSteps());
        schedule.addProperty("steps_per_epoch", s.stepsPerEpoch());
        schedule.addProperty("images_per_step", s.imagesPerStep());
        schedule.addProperty("accum_steps", s.accumSteps());
        schedule.addProperty("processes", s.processes());
        schedule.addProperty("first_step", s.firstStep());
        record.add("schedule", schedule);
        record.addProperty("resumed", s.resumed());
        record.addProperty("started", Instant.now().toString());
        if (previous != null) {
            record.add("first", previous.has("first") ? previous.get("first") : previous);
        }
        write();
    }

    @Override
    public void onEnd(End end) {
        JsonObject f = new JsonObject();
        end.metrics().forEach((k, v) -> f.add(k, GSON.toJsonTree(v)));
        f.addProperty("steps", end.steps());
        f.addProperty("epochs", end.epochs());
        f.addProperty("seconds", end.seconds());
        f.add("images_per_sec", GSON.toJsonTree(end.imagesPerSec()));
        f.addProperty("last_checkpoint", String.valueOf(end.lastCheckpoint()));
        f.add("unreadable_train", unreadable(end.badData().train()));
        f.add("unreadable_val", unreadable(end.badData().val()));
        record.add("final", f);
        record.addProperty("ended", Instant.now().toString());
        write();
    }

    /** The files that could not be decoded: how many, and the first few. */
    private static JsonObject unreadable(BadFiles bad) {
        JsonObject o = new JsonObject();
        o.addProperty("count", bad.count());
        o.add("first", GSON.toJsonTree(bad.first().stream().map(BadFiles.Entry::problem).toList()));
        return o;
    }

    private void write() {
        AtomicWrite.text(GSON.toJson(record) + "\n", file);
    }

    private static JsonObject readPrevious(Path file, boolean resumed) {
        if (!resumed || !Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonElement e = com.google.gson.JsonParser.parseString(Files.readString(file));
            return e.isJsonObject() ? e.getAsJsonObject() : null;
        } catch (Exception e) {
            return null; // an unreadable record is replaced, not fatal
        }
    }

    /** CPU model, cores, memory, OS and Java of this machine. */
    static JsonObject machine() {
        JsonObject m = new JsonObject();
        m.addProperty("cpu", org.crate4j.engine.Machine.cpuModel());
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            m.addProperty("memory_bytes", os.getTotalMemorySize());
        }
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.addProperty("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.addProperty("host", hostName());
        return m;
    }


    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown";
        }
    }
}

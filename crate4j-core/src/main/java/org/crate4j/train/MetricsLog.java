package org.crate4j.train;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.CurvePlot;

/**
 * Per-epoch metrics as JSON lines and CSV, plus a PNG of the curves; step rows (every N steps:
 * {@code step, epoch, loss, lr, grad_norm, …}) go to the JSON lines only, in step order among the
 * epoch rows. Epoch rows are told apart by their {@code train_loss}, step rows by their
 * {@code loss}. Survives resume.
 */
public final class MetricsLog {
    private final Path dir;
    private final List<Map<String, Double>> rows = new ArrayList<>();
    private final List<Map<String, Double>> stepRows = new ArrayList<>();
    private static final Gson GSON = new Gson();

    public MetricsLog(Path dir, boolean resume) {
        this.dir = dir;
        Path jsonl = dir.resolve("metrics.jsonl");
        try {
            if (resume && Files.exists(jsonl)) {
                for (String line : Files.readAllLines(jsonl)) {
                    JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                    Map<String, Double> row = new LinkedHashMap<>();
                    o.keySet().forEach(k -> row.put(k, o.get(k).getAsDouble()));
                    (row.containsKey("train_loss") ? rows : stepRows).add(row);
                }
            } else {
                Files.deleteIfExists(jsonl);
                Files.deleteIfExists(dir.resolve("metrics.csv"));
            }
        } catch (IOException e) {
            throw new CrateException("cannot read " + jsonl + ": " + e.getMessage(), e);
        }
    }

    /** Drops rows after {@code epoch} (a resumed run repeats them). */
    public void truncateAfter(double epoch) {
        rows.removeIf(r -> r.get("epoch") > epoch);
        stepRows.removeIf(r -> r.get("epoch") > epoch);
        rewrite();
    }

    /** A step row (written with the next epoch row, or now when {@code flush}). */
    public void addStep(Map<String, Double> row, boolean flush) {
        stepRows.add(row);
        if (flush) {
            rewrite();
        }
    }

    public void add(Map<String, Double> row) {
        rows.add(row);
        rewrite();
    }

    public List<Map<String, Double>> rows() {
        return rows;
    }

    private void rewrite() {
        try {
            Files.createDirectories(dir);
            StringBuilder jsonl = new StringBuilder();
            StringBuilder csv = new StringBuilder();
            if (!rows.isEmpty()) {
                csv.append(String.join(",", rows.get(0).keySet())).append('\n');
            }
            for (Map<String, Double> r : rows) {
                csv.append(String.join(",", r.values().stream().map(v -> Double.toString(v)).toList())).append('\n');
            }
            int s = 0;
            for (Map<String, Double> r : rows) { // step rows up to this epoch's step first
                while (s < stepRows.size() && stepRows.get(s).get("step") <= r.getOrDefault("step", Double.MAX_VALUE)) {
                    jsonl.append(GSON.toJson(stepRows.get(s++))).append('\n');
                }
                jsonl.append(GSON.toJson(r)).append('\n');
            }
            while (s < stepRows.size()) {
                jsonl.append(GSON.toJson(stepRows.get(s++))).append('\n');
            }
            AtomicWrite.text(jsonl.toString(), dir.resolve("metrics.jsonl"));
            AtomicWrite.text(csv.toString(), dir.resolve("metrics.csv"));
        } catch (IOException e) {
            throw new CrateException("cannot write metrics in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The loss and accuracy curves against epochs. */
    public void plot(Path png) {
        List<Double> ep = col("epoch");
        CurvePlot.write(png, "training", List.of(
                new CurvePlot.Panel("loss", "epoch", "loss", List.of(
                        new CurvePlot.Series("train", ep, col("train_loss")), new CurvePlot.Series("val", ep, col("val_loss")))),
                new CurvePlot.Panel("accuracy", "epoch", "top-1 %", List.of(
                        new CurvePlot.Series("train", ep, scale(col("train_top1"))), new CurvePlot.Series("val", ep, scale(col("val_top1")))))));
    }

    /** One panel: the named columns against epochs (e.g. a pre-training run's train and val loss). */
    public void plotColumns(Path png, String title, String yLabel, String... columns) {
        List<Double> ep = col("epoch");
        List<CurvePlot.Series> series = new ArrayList<>();
        for (String c : columns) {
            series.add(new CurvePlot.Series(c, ep, col(c)));
        }
        CurvePlot.write(png, title, List.of(new CurvePlot.Panel(title, "epoch", yLabel, series)));
    }

    private List<Double> col(String k) {
        return rows.stream().map(r -> r.getOrDefault(k, Double.NaN)).toList();
    }

    private static List<Double> scale(List<Double> xs) {
        return xs.stream().map(v -> 100 * v).toList();
    }
}

package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
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

/**
 * A run folder's metrics as one table for the page's curves: metrics.jsonl (preferred; epoch rows
 * and step rows may carry different columns) or metrics.csv. Columns are the union of the rows'
 * numeric keys in order of first appearance; a row without a column holds null there.
 */
final class RunMetrics {
    /** Larger files are refused rather than parsed into the server's memory. */
    static final long MAX_BYTES = 64L << 20;

    private RunMetrics() {}

    static JsonObject read(Path run) {
        Path jsonl = run.resolve("metrics.jsonl"), csv = run.resolve("metrics.csv");
        Path file = Files.isRegularFile(jsonl) ? jsonl : csv;
        List<String> lines;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new CrateException(file + " is " + (Files.size(file) >> 20) + " MB; the explorer draws metrics files up to "
                        + (MAX_BYTES >> 20) + " MB");
            }
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new CrateException("cannot read " + file + ": " + e.getMessage());
        }
        List<Map<String, Double>> rows = file == jsonl ? fromJsonLines(file, lines) : fromCsv(file, lines);
        List<String> columns = new ArrayList<>();
        rows.forEach(r -> r.keySet().stream().filter(k -> !columns.contains(k)).forEach(columns::add));
        JsonArray table = new JsonArray();
        for (Map<String, Double> r : rows) {
            JsonArray row = new JsonArray();
            columns.forEach(c -> row.add(r.containsKey(c) ? Json.number(r.get(c)) : com.google.gson.JsonNull.INSTANCE));
            table.add(row);
        }
        JsonObject o = new JsonObject();
        o.addProperty("run", run.toString());
        o.addProperty("name", run.getFileName().toString());
        o.addProperty("file", file.getFileName().toString());
        JsonArray names = new JsonArray();
        columns.forEach(names::add);
        o.add("columns", names);
        o.add("rows", table);
        return o;
    }

    private static List<Map<String, Double>> fromJsonLines(Path file, List<String> lines) {
        List<Map<String, Double>> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonObject o;
            try {
                o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
            } catch (RuntimeException e) {
                if (i == lines.size() - 1) {
                    break; // a line being written while we read
                }
                throw new CrateException(file + " line " + (i + 1) + " is not a JSON object");
            }
            Map<String, Double> row = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> e : o.entrySet()) {
                if (e.getValue().isJsonPrimitive() && e.getValue().getAsJsonPrimitive().isNumber()) {
                    row.put(e.getKey(), e.getValue().getAsDouble());
                }
            }
            rows.add(row);
        }
        return rows;
    }

    private static List<Map<String, Double>> fromCsv(Path file, List<String> lines) {
        List<Map<String, Double>> rows = new ArrayList<>();
        if (lines.isEmpty()) {
            return rows;
        }
        String[] header = lines.get(0).split(",", -1);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            Map<String, Double> row = new LinkedHashMap<>();
            for (int c = 0; c < Math.min(header.length, cells.length); c++) {
                try {
                    row.put(header[c].strip(), Double.parseDouble(cells[c].strip()));
                } catch (NumberFormatException e) {
                    // an empty or text cell: the column has no value in this row
                }
            }
            rows.add(row);
        }
        return rows;
    }
}

package org.crate4j.cli;

import com.google.gson.GsonBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.crate4j.CrateException;
import org.crate4j.engine.Torch;
import org.crate4j.model.CrateConfig;
import org.crate4j.train.ScalingBenchmark;
import org.crate4j.train.ScalingBenchmark.Point;
import org.crate4j.train.ScalingBenchmark.Series;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.ScalingPlot;

/** {@code crate bench --scaling}: the sweep, then its JSON, its log-log PNG and a summary of where each series stands. */
final class ScalingReport {
    static final String MEMORY = "peak resident set size above the step's starting RSS (VmHWM reset through /proc/self/clear_refs), "
            + "per point's own process, with glibc returning freed blocks to the kernel; AdamW's moments are allocated before the timed steps";

    private ScalingReport() {}

    static int run(CrateConfig base, List<String> seriesNames, List<Long> tokens, double limitSec, double memoryGb, Path out) {
        if (limitSec <= 0 || memoryGb <= 0) {
            throw new CrateException("--time-limit and --memory-limit must be positive");
        }
        List<Series> series = seriesNames.stream().map(Series::parse).toList();
        tokens.forEach(ScalingBenchmark::imageFor); // a bad count fails before anything runs
        System.out.printf("scaling: CRATE width %d, depth %d, heads %d, batch 1, %d threads; each point in its own process, "
                + "at most %.0f s%s%n", base.dim(), base.depth(), base.heads(), Torch.threads(), limitSec,
                ScalingSweep.limitsMemory() ? String.format(" and %.1f GiB of address space", memoryGb) : " (no memory limit: prlimit not found)");
        List<Point> points = ScalingSweep.run(base, series, tokens, limitSec, memoryGb, Torch.threads(), System.out);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", Map.of("dim", base.dim(), "depth", base.depth(), "heads", base.heads(), "batch", 1));
        json.put("threads", Torch.threads());
        json.put("memory", MEMORY);
        json.put("time_limit_s", limitSec);
        json.put("memory_limit_gib", ScalingSweep.limitsMemory() ? memoryGb : null);
        json.put("points", points);
        Map<String, Object> summary = summary(series, points);
        json.put("summary", summary);
        AtomicWrite.text(new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(json) + "\n", out);
        Path png = ScalingSweep.png(out);
        ScalingPlot.write(png, List.of(
                new ScalingPlot.Panel("one step, batch 1", "seconds", lines(series, points, "forward", Point::forwardSec, "train step",
                        Point::trainSec)),
                new ScalingPlot.Panel("peak memory above the model", "MB", lines(series, points, "forward",
                        p -> p.forwardPeakMb() == null ? null : (double) Math.max(1, p.forwardPeakMb()), "train step",
                        p -> p.trainPeakMb() == null ? null : (double) Math.max(1, p.trainPeakMb())))));
        summary.forEach((k, v) -> System.out.println(k + ": " + v));
        System.out.println("wrote " + out + " and " + png);
        return 0;
    }

    /** Per series: its wall (the first n that failed, and why), and the growth of its train-step time from the smallest n to the largest measured. */
    private static Map<String, Object> summary(List<Series> series, List<Point> points) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Series s : series) {
            List<Point> ok = points.stream().filter(p -> p.series().equals(s.label()) && p.ok()).toList();
            Point failed = points.stream().filter(p -> p.series().equals(s.label()) && !p.ok() && !p.status().startsWith("skipped"))
                    .findFirst().orElse(null);
            StringBuilder b = new StringBuilder();
            if (ok.size() >= 2) {
                Point first = ok.get(0), last = ok.get(ok.size() - 1);
                b.append(String.format("train step x%.1f and forward x%.1f from n = %,d to %,d (tokens x%.0f)", last.trainSec() / first.trainSec(),
                        last.forwardSec() / first.forwardSec(), first.patches(), last.patches(), last.patches() / (double) first.patches()));
            }
            b.append(b.length() > 0 ? "; " : "").append(failed == null ? "every point ran"
                    : "wall at n = " + String.format("%,d", failed.patches()) + ": " + failed.status());
            out.put(s.label(), b.toString());
        }
        for (Series s : series) {
            if (s != Series.TSSA && series.contains(Series.TSSA)) {
                out.put("tssa vs " + s.label(), overtaking(points, s));
            }
        }
        return out;
    }

    /** The smallest n at which TSSA's training step is faster than {@code mssa}'s (a failed MSSA point counts as slower). */
    private static String overtaking(List<Point> points, Series mssa) {
        for (Point t : points) {
            if (!t.series().equals(Series.TSSA.label()) || !t.ok()) {
                continue;
            }
            Point m = points.stream().filter(p -> p.series().equals(mssa.label()) && p.patches() == t.patches()).findFirst().orElse(null);
            if (m != null && (!m.ok() || t.trainSec() < m.trainSec())) {
                return String.format("TSSA's training step first faster at n = %,d (%s)", t.patches(),
                        m.ok() ? String.format("%.3f s vs %.3f s", t.trainSec(), m.trainSec()) : "MSSA: " + m.status());
            }
        }
        return "TSSA's training step is not faster at any n measured";
    }

    private static List<ScalingPlot.Line> lines(List<Series> series, List<Point> points, String a, Function<Point, Double> fa, String b,
            Function<Point, Double> fb) {
        List<ScalingPlot.Line> out = new ArrayList<>();
        for (Series s : series) {
            out.add(line(s.label() + " " + a, points, s, fa));
            out.add(line(s.label() + " " + b, points, s, fb));
        }
        return out;
    }

    private static ScalingPlot.Line line(String name, List<Point> points, Series s, Function<Point, Double> f) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (Point p : points) {
            Double v = p.series().equals(s.label()) && p.ok() ? f.apply(p) : null;
            if (v != null && v > 0) {
                x.add((double) p.patches());
                y.add(v);
            }
        }
        return new ScalingPlot.Line(name, x, y);
    }
}

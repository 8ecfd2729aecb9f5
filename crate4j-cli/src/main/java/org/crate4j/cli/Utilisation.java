package org.crate4j.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.util.Locale;
import org.crate4j.engine.GemmPeak;
import org.crate4j.train.Benchmark;

/** The bench's result beside the machine's GEMM peak: achieved GFLOP/s and their fraction of it (MFU). */
final class Utilisation {
    private Utilisation() {}

    static String line(Benchmark.Result r, GemmPeak.Peak peak, double jobPeak) {
        String f = String.format(Locale.ROOT, "forward %.2f img/s, %.1f GFLOP/s = %.0f%% of peak", r.forwardImagesPerSec(),
                r.forwardGflops(), 100 * r.forwardGflops() / jobPeak);
        String t = r.trainImagesPerSec() > 0 ? String.format(Locale.ROOT, "; train step %.2f img/s, %.1f GFLOP/s = %.0f%% of peak",
                r.trainImagesPerSec(), r.trainGflops(), 100 * r.trainGflops() / jobPeak) : "";
        return String.format(Locale.ROOT, "%s batch %d, %s, %d thread%s x %d process%s%s: %s%s (peak: %.1f GFLOP/s per process, "
                + "%s %d² matmul%s)", r.model(), r.batch(), r.precision(), r.threads(), r.threads() == 1 ? "" : "s", r.processes(),
                r.processes() == 1 ? "" : "es", r.shards() > 1 ? " (" + r.shards() + " row shards per batch)" : "", f, t, peak.gflops(), peak.precision(), peak.n(), peak.cached() ? ", cached; --peak remeasures" : "");
    }

    static JsonObject json(Benchmark.Result r, GemmPeak.Peak peak, double jobPeak) {
        JsonObject o = new Gson().toJsonTree(r).getAsJsonObject();
        o.addProperty("peakGflopsPerProcess", peak.gflops());
        o.addProperty("peakMatmulSize", peak.n());
        o.addProperty("forwardMfu", Math.round(10000 * r.forwardGflops() / jobPeak) / 10000.0);
        o.addProperty("trainMfu", Math.round(10000 * r.trainGflops() / jobPeak) / 10000.0);
        return o;
    }
}

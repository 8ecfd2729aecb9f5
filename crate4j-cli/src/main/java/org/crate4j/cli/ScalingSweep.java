package org.crate4j.cli;

import com.google.gson.Gson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crate4j.CrateException;
import org.crate4j.dist.Launcher;
import org.crate4j.model.CrateConfig;
import org.crate4j.train.ScalingBenchmark;
import org.crate4j.train.ScalingBenchmark.Point;
import org.crate4j.train.ScalingBenchmark.Series;

/**
 * Runs {@code crate bench --scaling}: every (series, n) point in a process of its own, so that a
 * point that runs out of memory or past its time limit ends alone and is recorded as such, and
 * each point's peak memory is its own. A series stops at its first failure (larger n would fail
 * too). Each process gets an address-space limit (RLIMIT_AS, through util-linux's prlimit when
 * present), so that MSSA's n×n attention runs into an allocation error there instead of into the
 * machine's memory; and glibc is told to return freed blocks to the kernel (MALLOC_MMAP_THRESHOLD_,
 * MALLOC_TRIM_THRESHOLD_), so that resident memory follows the live tensors.
 */
final class ScalingSweep {
    private static final Gson GSON = new Gson();
    private static final Path PRLIMIT = Path.of("/usr/bin/prlimit");

    private ScalingSweep() {}

    /** Whether each point's process gets the address-space limit (false where prlimit is missing). */
    static boolean limitsMemory() {
        return Files.isExecutable(PRLIMIT);
    }

    static List<Point> run(CrateConfig base, List<Series> series, List<Long> tokens, double limitSec, double memoryGb, int threads,
            PrintStream log) {
        List<Point> out = new ArrayList<>();
        for (Series s : series) {
            String failed = null;
            for (long n : tokens) {
                int[] ip = ScalingBenchmark.imageFor(n);
                Point p = failed != null ? new Point(s.label(), n, ip[0], ip[1], null, null, null, null, "skipped: " + failed)
                        : point(base, s, n, ip, limitSec, memoryGb, threads);
                if (failed == null && !p.ok()) {
                    failed = p.status() + " at n = " + n;
                }
                log.println(line(p));
                out.add(p);
            }
        }
        return out;
    }

    static String line(Point p) {
        return p.ok() ? String.format("%-12s n %,6d (%dx%d, patch %d): forward %8.3f s, train step %8.3f s, peak +%,d MB / +%,d MB",
                p.series(), p.patches(), p.image(), p.image(), p.patch(), p.forwardSec(), p.trainSec(), p.forwardPeakMb(), p.trainPeakMb())
                : String.format("%-12s n %,6d (%dx%d, patch %d): %s", p.series(), p.patches(), p.image(), p.image(), p.patch(), p.status());
    }

    private static Point point(CrateConfig base, Series s, long n, int[] ip, double limitSec, double memoryGb, int threads) {
        List<String> cmd = new ArrayList<>();
        if (limitsMemory()) {
            cmd.addAll(List.of(PRLIMIT.toString(), "--as=" + (long) (memoryGb * (1L << 30))));
        }
        List<String> java = new ArrayList<>(Launcher.javaCommand(System.getProperty("java.class.path"), Main.class.getName()));
        java.add(java.indexOf("-cp"), "-Xmx1g"); // the heap is small; the tensors are native and count against the limit
        // JavaCPP's own guard (by default a multiple of -Xmx: 4 GiB here) would stop a point first; the wall is the address space
        java.add(java.indexOf("-cp"), "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0");
        java.add(java.indexOf("-cp"), "-Dorg.bytedeco.javacpp.maxBytes=0");
        cmd.addAll(java);
        cmd.addAll(List.of("bench", "--scaling-point", s.label() + ":" + n, "--dim", String.valueOf(base.dim()), "--depth",
                String.valueOf(base.depth()), "--heads", String.valueOf(base.heads()), "--threads", String.valueOf(threads)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("MALLOC_MMAP_THRESHOLD_", "131072");
        env.put("MALLOC_TRIM_THRESHOLD_", "131072");
        env.put("MALLOC_ARENA_MAX", "2");
        Process proc;
        try {
            proc = pb.start();
        } catch (IOException e) {
            throw new CrateException("cannot start a benchmark process (" + cmd.get(0) + "): " + e.getMessage(), e);
        }
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(l);
                    }
                }
            } catch (IOException ignored) {
                // the process was ended: what was read is all there is
            }
        });
        reader.start();
        try {
            if (!proc.waitFor((long) (limitSec * 1000), TimeUnit.MILLISECONDS)) {
                proc.destroyForcibly().waitFor();
                return new Point(s.label(), n, ip[0], ip[1], null, null, null, null, String.format("too slow (over %.0f s)", limitSec));
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            proc.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CrateException("interrupted while benchmarking " + s.label() + " at n = " + n);
        }
        synchronized (lines) {
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (lines.get(i).startsWith("{")) {
                    return GSON.fromJson(lines.get(i), Point.class);
                }
            }
        }
        int code = proc.exitValue();
        return new Point(s.label(), n, ip[0], ip[1], null, null, null, null, code == 137 || code == 134
                ? "out of memory (the process was killed, exit " + code + ")" : "failed (exit " + code + ")");
    }

    /**
     * The other end: one point, measured in this process and printed as one JSON line. An
     * allocation that fails (the address-space limit) is a result, "out of memory", not an error.
     */
    static int measurePoint(CrateConfig base, String spec) {
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new CrateException("--scaling-point takes SERIES:N, got '" + spec + "'");
        }
        Series s = Series.parse(spec.substring(0, colon));
        long n = Long.parseLong(spec.substring(colon + 1));
        int[] ip = ScalingBenchmark.imageFor(n);
        Point p;
        try {
            p = ScalingBenchmark.measure(base, s, ip[0], ip[1], n <= 784);
        } catch (OutOfMemoryError | RuntimeException e) {
            String m = String.valueOf(e.getMessage());
            if (!(e instanceof OutOfMemoryError) && !m.contains("alloc") && !m.contains("memory")) {
                throw e;
            }
            p = new Point(s.label(), n, ip[0], ip[1], null, null, null, null, "out of memory (" + m.lines().findFirst().orElse("")
                    .replaceAll("\\s+", " ").strip() + ")");
        }
        System.out.println(GSON.toJson(p));
        return 0;
    }

    /** Where the result files go, with the PNG beside the JSON. */
    static Path png(Path json) {
        String name = json.getFileName().toString();
        return json.resolveSibling((name.endsWith(".json") ? name.substring(0, name.length() - 5) : name) + ".png");
    }
}

package org.crate4j.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.crate4j.CrateException;

/**
 * Where a run writes, so that no run overwrites another (after timm's {@code output/train/<date>-<model>}
 * and Lightning's {@code version_N}): without {@code --out} every run gets a folder of its own under
 * {@code runs/<task>/} and {@code runs/<task>/latest} points at the newest; an explicit {@code --out}
 * that already holds a run is refused unless the run is resumed or overwriting is asked for.
 */
public final class RunFolders {
    /** Files whose presence means a folder holds a run. */
    static final List<String> RUN_FILES = List.of("run.json", "last.safetensors", "best.safetensors", "metrics.jsonl", "metrics.csv");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private RunFolders() {}

    /**
     * {@code runs/<task>}: the folder fresh runs of a task go under, below {@code $CRATE4J_RUNS}
     * (or the system property {@code crate4j.runs}) when set, else {@code runs} in the working folder.
     */
    public static Path base(String task) {
        String root = System.getProperty("crate4j.runs", System.getenv().getOrDefault("CRATE4J_RUNS", "runs"));
        return Path.of(root, task);
    }

    /** A new, empty folder {@code base/<date>-<name>[-N]}, and {@code base/latest} pointing at it. */
    public static Path fresh(Path base, String name, LocalDateTime now) {
        String stem = STAMP.format(now) + "-" + name.replaceAll("[^A-Za-z0-9._-]", "_");
        try {
            Files.createDirectories(base);
            for (int n = 1; ; n++) {
                Path dir = base.resolve(n == 1 ? stem : stem + "-" + n);
                try {
                    Files.createDirectory(dir); // atomic: two runs started in the same second get two folders
                    pointLatest(base, dir);
                    return dir;
                } catch (FileAlreadyExistsException taken) {
                    // next N
                }
            }
        } catch (IOException e) {
            throw new CrateException("cannot create a run folder under " + base + ": " + e.getMessage(), e);
        }
    }

    /** {@code base/latest} → {@code dir} (relative), replaced atomically; skipped where links are not supported. */
    static void pointLatest(Path base, Path dir) {
        Path link = base.resolve("latest");
        Path tmp = base.resolve(".latest." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createSymbolicLink(tmp, dir.getFileName());
            Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // nothing to undo
            }
        }
    }

    /**
     * The folder a run writes to: {@code out} when given (refused if it holds a run, unless
     * resumed or overwritten); else, to resume, the folder {@code base/latest} points at; else a
     * fresh one under {@code base}.
     */
    public static Path resolve(Path out, boolean resume, boolean overwrite, Path base, String name) {
        if (out != null) {
            checkExplicit(out, resume, overwrite);
            return out;
        }
        if (resume) {
            Path latest = base.resolve("latest");
            if (!Files.isDirectory(latest)) {
                throw new CrateException("nothing to resume: " + latest + " does not exist; pass the run's folder as --out");
            }
            try {
                return latest.toRealPath();
            } catch (IOException e) {
                throw new CrateException("cannot follow " + latest + ": " + e.getMessage(), e);
            }
        }
        return fresh(base, name, LocalDateTime.now());
    }

    /** Deletes what a run left in {@code out} (its checkpoints, metrics, plots, events), for --overwrite. */
    public static void clear(Path out) {
        try (var files = Files.list(out)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f) && (RUN_FILES.contains(n) || n.equals("curves.png") || n.equals("reconstructions.png")
                        || n.startsWith("events.out.tfevents."))) {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw new CrateException("cannot clear " + out + " for --overwrite: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses an explicit output folder that holds a run, unless {@code resume} (continue it) or
     * {@code overwrite} (replace it) is set.
     */
    public static void checkExplicit(Path out, boolean resume, boolean overwrite) {
        if (resume || overwrite || !Files.isDirectory(out)) {
            if (Files.exists(out) && !Files.isDirectory(out)) {
                throw new CrateException("--out " + out + " is a file, not a folder");
            }
            return;
        }
        List<String> found = new ArrayList<>();
        for (String f : RUN_FILES) {
            if (Files.exists(out.resolve(f))) {
                found.add(f);
            }
        }
        if (!found.isEmpty()) {
            throw new CrateException("--out " + out + " already holds a run (" + String.join(", ", found)
                    + "): pass --resume to continue it, --overwrite to replace it, or choose another --out");
        }
    }
}

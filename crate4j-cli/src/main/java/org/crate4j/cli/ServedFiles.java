package org.crate4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.crate4j.CrateException;
import org.crate4j.io.Inputs;

/**
 * The files {@code crate serve} may read: the checkpoints given with --weights, and the checkpoints
 * and run folders found under the folders given with --runs. A path a request names is resolved to
 * its real path (every {@code ..} and symbolic link followed) before it is compared, so neither can
 * reach outside what was given.
 */
final class ServedFiles {
    /** How deep the --runs folders are searched (runs/train/&lt;run&gt;/checkpoints/last.safetensors is 3). */
    static final int DEPTH = 6;

    /** A path request parameters were refused for: the server answers 403. */
    static final class Refused extends CrateException {
        Refused(String message) {
            super(message);
        }
    }

    private final List<Path> weights = new ArrayList<>();
    private final List<Path> roots = new ArrayList<>();

    ServedFiles(List<Path> weights, List<Path> runs) {
        for (Path w : weights) {
            Inputs.requireFile(w, "--weights");
            this.weights.add(real(w));
        }
        for (Path r : runs) {
            Inputs.requireDirectory(r, "--runs");
            roots.add(real(r));
        }
        if (this.weights.isEmpty() && roots.isEmpty()) {
            throw new CrateException("nothing to serve: give --weights FILE (repeatable) and/or --runs DIR");
        }
    }

    static boolean isCheckpoint(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".safetensors") || n.endsWith(".pth");
    }

    static boolean isRun(Path dir) {
        return Files.isRegularFile(dir.resolve("metrics.jsonl")) || Files.isRegularFile(dir.resolve("metrics.csv"));
    }

    /**
     * Every checkpoint as a real path: the --weights files first, then those under the --runs folders in
     * path order (a link there counts only when it points inside a --runs folder, as {@link #checkpoint} decides).
     */
    List<Path> checkpoints() {
        List<Path> out = new ArrayList<>(weights);
        for (Path root : roots) {
            walk(root).filter(p -> Files.isRegularFile(p) && isCheckpoint(p)).map(ServedFiles::real).filter(this::underRoot)
                    .filter(p -> !out.contains(p)).forEach(out::add);
        }
        return out;
    }

    /** Every run folder (one holding metrics.jsonl or metrics.csv) under the --runs folders. */
    List<Path> runs() {
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            walk(root).filter(p -> Files.isDirectory(p) && isRun(p)).map(ServedFiles::real).filter(this::underRoot)
                    .filter(p -> !out.contains(p)).forEach(out::add);
        }
        return out;
    }

    /** The checkpoint a request names, as a real path: one of --weights, or a checkpoint file under a --runs folder. */
    Path checkpoint(String requested) {
        Path p = resolve(requested, "checkpoint");
        if (weights.contains(p) || (underRoot(p) && Files.isRegularFile(p) && isCheckpoint(p))) {
            return p;
        }
        throw new Refused("checkpoint " + requested + " is not one this server was given (--weights, or *.safetensors/*.pth under --runs)");
    }

    /** The run folder a request names, as a real path: a folder with metrics under a --runs folder. */
    Path run(String requested) {
        Path p = resolve(requested, "run");
        if (underRoot(p) && Files.isDirectory(p) && isRun(p)) {
            return p;
        }
        throw new Refused("run " + requested + " is not a run folder (with metrics.jsonl or metrics.csv) under the --runs folders");
    }

    /** How the page names a served path: relative to the --runs folder holding it (with that folder's name), else its file name. */
    String label(Path real) {
        for (Path root : roots) {
            if (real.startsWith(root) && !real.equals(root)) {
                return (root.getFileName() == null ? "" : root.getFileName() + "/") + root.relativize(real);
            }
        }
        return real.getFileName() == null ? real.toString() : real.getFileName().toString();
    }

    private boolean underRoot(Path real) {
        return roots.stream().anyMatch(real::startsWith);
    }

    private static Path resolve(String requested, String what) {
        if (requested == null || requested.isBlank()) {
            throw new CrateException("no " + what + " named: add ?" + (what.equals("run") ? "run" : "weights") + "=PATH from the server's list");
        }
        try {
            return Path.of(requested).toRealPath();
        } catch (InvalidPathException | IOException e) {
            // a path that does not exist is refused like one outside: the answer tells nothing about the disk
            throw new Refused(what + " " + requested + " is not one this server was given");
        }
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new CrateException(p + " cannot be resolved: " + e.getMessage());
        }
    }

    /** The tree below root in path order; links are listed but not followed, so a link cannot pull in folders outside. */
    private static Stream<Path> walk(Path root) {
        try (Stream<Path> s = Files.walk(root, DEPTH)) {
            return s.sorted().toList().stream();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new CrateException("cannot list " + root + ": " + e.getMessage());
        }
    }
}

package org.crate4j.io;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every file crate4j writes goes through a temporary file beside its target and one rename, so a
 * reader (or an interrupted run) sees the old file or the new one, never half of one. The
 * temporary file is named {@code .<target>.<pid>-<n>.crate4j.tmp}: a write killed between the two
 * steps leaves one behind, and the next write in that folder removes those whose process is gone.
 * Files are created with the process's umask, as every other tool's are (not 0600).
 */
public final class AtomicFiles {
    private static final String SUFFIX = ".crate4j.tmp";
    private static final Pattern OURS = Pattern.compile("^\\..+\\.(\\d+)-\\d+" + Pattern.quote(SUFFIX) + "$");

    private AtomicFiles() {}

    /** A new, empty temporary file in {@code target}'s folder (created if needed), after clearing stale ones. */
    public static Path temporaryFor(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        removeStale(dir);
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + target.getFileName() + "." + pid + "-" + ThreadLocalRandom.current().nextInt(1 << 30) + SUFFIX);
            try {
                return Files.createFile(tmp);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 10) {
                    throw e;
                }
            }
        }
    }

    /** Renames {@code tmp} over {@code target}, atomically where the file system can. */
    public static void commit(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes {@code tmp} if it is still there (after a failed write); never throws. */
    public static void discard(Path tmp) {
        if (tmp != null) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover is removed by the next write in this folder
            }
        }
    }

    /** Removes our temporary files in {@code dir} whose writing process no longer runs. */
    static void removeStale(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "." + "*" + SUFFIX)) {
            for (Path f : files) {
                Matcher m = OURS.matcher(f.getFileName().toString());
                if (m.matches() && !alive(Long.parseLong(m.group(1)))) {
                    discard(f);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort: a folder we cannot list is reported by the write itself
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}

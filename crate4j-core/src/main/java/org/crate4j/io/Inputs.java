package org.crate4j.io;

import java.nio.file.Files;
import java.nio.file.Path;
import org.crate4j.CrateException;

/** The one-line messages for inputs that are not there, or not what was asked for. */
public final class Inputs {
    private Inputs() {}

    /** Fails unless {@code path} is a readable regular file; {@code what} names it ("weights file"). */
    public static Path requireFile(Path path, String what) {
        if (Files.isDirectory(path)) {
            throw new CrateException(what + " " + path + " is a directory, not a file");
        }
        if (!Files.exists(path)) {
            throw new CrateException(what + " " + path + " does not exist");
        }
        if (!Files.isRegularFile(path)) {
            throw new CrateException(what + " " + path + " is not a regular file");
        }
        if (!Files.isReadable(path)) {
            throw new CrateException(what + " " + path + " cannot be read (permission denied)");
        }
        return path;
    }

    /** Fails unless {@code path} is a readable directory; {@code what} names it ("data directory"). */
    public static Path requireDirectory(Path path, String what) {
        if (Files.isRegularFile(path)) {
            throw new CrateException(what + " " + path + " is a file, not a directory");
        }
        if (!Files.exists(path)) {
            throw new CrateException(what + " " + path + " does not exist");
        }
        if (!Files.isDirectory(path)) {
            throw new CrateException(what + " " + path + " is not a directory");
        }
        if (!Files.isReadable(path)) {
            throw new CrateException(what + " " + path + " cannot be read (permission denied)");
        }
        return path;
    }
}

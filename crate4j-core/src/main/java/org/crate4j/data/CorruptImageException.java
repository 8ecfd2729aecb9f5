package org.crate4j.data;

import java.nio.file.Path;
import org.crate4j.CrateException;

/** An image file that exists and can be read but does not decode: corrupt, truncated or not an image. */
public final class CorruptImageException extends CrateException {
    private final transient Path file;

    public CorruptImageException(Path file, String problem) {
        super("image " + file + " " + problem);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}

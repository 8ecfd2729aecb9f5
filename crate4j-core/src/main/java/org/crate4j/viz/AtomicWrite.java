package org.crate4j.viz;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.crate4j.CrateException;
import org.crate4j.io.AtomicFiles;

/**
 * Writes output files through a temporary file in the same folder and a rename, so a reader (or
 * an interrupted run) never sees a half-written PNG or JSON.
 */
public final class AtomicWrite {
    private AtomicWrite() {}

    public static void png(BufferedImage image, Path file) {
        Headless.ensure();
        write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new CrateException("no PNG encoder available to write " + file);
            }
        });
    }

    public static void text(String text, Path file) {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    private interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private static void write(Path file, Body body) {
        Path target = file.toAbsolutePath();
        Path tmp = null;
        try {
            tmp = AtomicFiles.temporaryFor(target);
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.writeTo(out);
            }
            AtomicFiles.commit(tmp, target);
        } catch (IOException e) {
            throw new CrateException("cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.discard(tmp);
        }
    }
}

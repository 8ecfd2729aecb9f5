package org.crate4j.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.crate4j.CrateException;
import org.crate4j.data.Image;
import org.crate4j.data.ImageFiles;

/**
 * The images dropped into the page, decoded once and held under a random id so that moving the
 * layer slider does not send them again. Only the last {@link #KEPT} are held; the page sends
 * an image again when the server has let it go.
 */
final class Uploads {
    static final int KEPT = 8;
    /** Decoded, 40 megapixels are 120 MB: a small file that would decode to more is refused before decoding. */
    static final long MAX_PIXELS = 40_000_000L;

    /** An upload: the name the browser gave (for messages and the JSON documents) and its pixels. */
    record Upload(String id, Path name, Image image) {}

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Upload> held = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Upload> eldest) {
            return size() > KEPT;
        }
    };

    /** Decodes and holds an upload; a truncated, corrupt or oversized image fails with one line naming it. */
    Upload add(String fileName, byte[] bytes) {
        Path name = safeName(fileName);
        requireFewPixels(name, bytes);
        Image image = ImageFiles.decodeRgb(name, bytes);
        byte[] id = new byte[12];
        random.nextBytes(id);
        Upload u = new Upload(HexFormat.of().formatHex(id), name, image);
        synchronized (held) {
            held.put(u.id(), u);
        }
        return u;
    }

    /** The upload with this id, or null when it was never made or is no longer held. */
    Upload get(String id) {
        synchronized (held) {
            return id == null ? null : held.get(id);
        }
    }

    /** The browser's file name without folders or odd characters, as a relative path the messages can show. */
    static Path safeName(String fileName) {
        String n = fileName == null ? "" : fileName.replaceAll("^.*[/\\\\]", "").replaceAll("[^A-Za-z0-9._ -]", "_").strip();
        if (n.isEmpty() || n.startsWith(".")) {
            n = "upload" + n;
        }
        try {
            return Path.of(n.length() > 100 ? n.substring(n.length() - 100) : n);
        } catch (InvalidPathException e) {
            return Path.of("upload");
        }
    }

    /** Reads the size from the header alone, so an image that would fill the memory is never decoded. */
    private static void requireFewPixels(Path name, byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return; // not an image ImageIO knows: decodeRgb says so in its own words
            }
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                long pixels = (long) r.getWidth(0) * r.getHeight(0);
                if (pixels > MAX_PIXELS) {
                    throw new CrateException("image " + name + " is " + r.getWidth(0) + "x" + r.getHeight(0) + " pixels; this server decodes at most "
                            + MAX_PIXELS / 1_000_000 + " megapixels: scale it down first");
                }
            } finally {
                r.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof CrateException c) {
                throw c;
            }
            // an unreadable header: decodeRgb names the damage in its own words
        }
    }
}

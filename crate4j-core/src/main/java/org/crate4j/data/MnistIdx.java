package org.crate4j.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.crate4j.CrateException;

/** Reader for the MNIST/Fashion-MNIST idx format, gzipped or plain. */
public final class MnistIdx {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final List<String> DIGIT_CLASSES = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private MnistIdx() {}

    /** The four idx files (without .gz) that make up a complete MNIST-style directory. */
    public static List<String> fileNames() {
        return List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
    }

    /** True if dir holds the images and labels of at least one split. */
    public static boolean looksLikeIdx(Path dir) {
        return find(dir, "train-images-idx3-ubyte") != null || find(dir, "t10k-images-idx3-ubyte") != null;
    }

    /** True if all four files are present (plain or .gz). */
    public static boolean isComplete(Path dir) {
        return fileNames().stream().allMatch(n -> find(dir, n) != null);
    }

    public static Dataset load(Path dir, boolean train) {
        String prefix = train ? "train" : "t10k";
        Path imagesFile = require(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = require(dir, prefix + "-labels-idx1-ubyte");
        List<String> classes = looksLikeFashion(dir) ? FASHION_CLASSES : DIGIT_CLASSES;

        ByteBuffer images = ByteBuffer.wrap(readAll(imagesFile));
        int count = header(images, imagesFile, IMAGES_MAGIC, 16);
        int rows = images.getInt(8), cols = images.getInt(12);
        if (rows <= 0 || cols <= 0) {
            throw new CrateException("idx file " + imagesFile + " declares image size " + rows + "x" + cols
                    + "; the file is corrupt, re-download it");
        }
        long expected = 16L + (long) count * rows * cols;
        if (images.capacity() != expected) {
            throw new CrateException("idx file " + imagesFile + " has " + images.capacity() + " bytes but its header ("
                    + count + " images of " + rows + "x" + cols + ") needs " + expected + "; re-download it");
        }
        ByteBuffer labelsBuf = ByteBuffer.wrap(readAll(labelsFile));
        int labelCount = header(labelsBuf, labelsFile, LABELS_MAGIC, 8);
        if (labelsBuf.capacity() != 8L + labelCount) {
            throw new CrateException("idx file " + labelsFile + " has " + labelsBuf.capacity()
                    + " bytes but its header declares " + labelCount + " labels; re-download it");
        }
        if (labelCount != count) {
            throw new CrateException("idx files disagree: " + imagesFile + " has " + count + " images but "
                    + labelsFile + " has " + labelCount + " labels; re-download both");
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = labelsBuf.get(8 + i) & 0xFF;
            if (labels[i] >= classes.size()) {
                throw new CrateException("idx file " + labelsFile + " has label " + labels[i] + " at sample " + i
                        + ", outside 0.." + (classes.size() - 1) + "; the file is corrupt, re-download it");
            }
        }
        byte[] pixels = new byte[count * rows * cols];
        System.arraycopy(images.array(), 16, pixels, 0, pixels.length);
        return new InMemoryDataset(rows, cols, 1, pixels, labels, classes);
    }

    /** Fashion-MNIST uses the same file names as MNIST, so only the directory path tells them apart. */
    static boolean looksLikeFashion(Path dir) {
        for (Path part : dir.toAbsolutePath().normalize()) {
            if (part.toString().toLowerCase(Locale.ROOT).contains("fashion")) {
                return true;
            }
        }
        return false;
    }

    private static int header(ByteBuffer buf, Path file, int magic, int headerBytes) {
        if (buf.capacity() < headerBytes) {
            throw new CrateException("idx file " + file + " is only " + buf.capacity()
                    + " bytes, too short for a header; re-download it");
        }
        int found = buf.getInt(0);
        if (found != magic) {
            throw new CrateException(String.format(Locale.ROOT,
                    "idx file %s has magic number 0x%08x, expected 0x%08x; it is not an idx %s file, check the path",
                    file, found, magic, magic == IMAGES_MAGIC ? "images" : "labels"));
        }
        int count = buf.getInt(4);
        if (count < 0) {
            throw new CrateException("idx file " + file + " declares a negative count; re-download it");
        }
        return count;
    }

    static Path find(Path dir, String name) {
        for (String candidate : new String[] {name, name + ".gz"}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static Path require(Path dir, String name) {
        Path p = find(dir, name);
        if (p == null) {
            throw new CrateException("missing idx file " + dir.resolve(name) + "[.gz]; put the MNIST-style files "
                    + "(" + String.join(", ", fileNames()) + ") in " + dir);
        }
        return p;
    }

    /** Decompresses by content (gzip magic), not by name, since mirrors are inconsistent about the suffix. */
    static byte[] readAll(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new GZIPInputStream(raw, 1 << 16) : raw;
            return in.readAllBytes();
        } catch (IOException e) {
            throw new CrateException("cannot read idx file " + file + ": " + e.getMessage()
                    + "; the file is truncated or corrupt, re-download it", e);
        }
    }

    /** Lists which of the four files are missing, for error messages. */
    static List<String> missing(Path dir) {
        List<String> out = new ArrayList<>();
        for (String n : fileNames()) {
            if (find(dir, n) == null) {
                out.add(n + ".gz");
            }
        }
        return out;
    }
}

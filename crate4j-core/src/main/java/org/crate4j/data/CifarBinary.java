package org.crate4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.crate4j.CrateException;

/** Reader for the CIFAR-10 and CIFAR-100 "binary version" files. */
public final class CifarBinary {
    static final int SIDE = 32, PIXELS = 3 * SIDE * SIDE;
    static final String CIFAR10_SUBDIR = "cifar-10-batches-bin", CIFAR100_SUBDIR = "cifar-100-binary";
    public static final List<String> CIFAR10_CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    private CifarBinary() {}

    /** True if dir (or its standard extracted subfolder) holds CIFAR-10 or CIFAR-100 binary files. */
    public static boolean looksLikeCifar(Path dir) {
        return resolve(dir) != null;
    }

    public static Dataset load(Path dir, boolean train) {
        Path base = resolve(dir);
        if (base == null) {
            throw new CrateException("no CIFAR binary files in " + dir + "; expected data_batch_1..5.bin + test_batch.bin "
                    + "(CIFAR-10) or train.bin + test.bin (CIFAR-100), e.g. extracted cifar-10-binary.tar.gz");
        }
        boolean cifar100 = Files.isRegularFile(base.resolve("train.bin")) || Files.isRegularFile(base.resolve("test.bin"));
        List<Path> files = new ArrayList<>();
        if (cifar100) {
            files.add(base.resolve(train ? "train.bin" : "test.bin"));
        } else if (train) {
            for (int i = 1; i <= 5; i++) {
                files.add(base.resolve("data_batch_" + i + ".bin"));
            }
        } else {
            files.add(base.resolve("test_batch.bin"));
        }
        List<String> classes = cifar100 ? names(base.resolve("fine_label_names.txt"), 100) : cifar10Names(base);
        return read(files, cifar100 ? 2 : 1, classes);
    }

    /** The directory that actually holds the .bin files, or null. */
    static Path resolve(Path dir) {
        for (Path p : new Path[] {dir, dir.resolve(CIFAR10_SUBDIR), dir.resolve(CIFAR100_SUBDIR)}) {
            for (String marker : new String[] {"data_batch_1.bin", "test_batch.bin", "train.bin", "test.bin"}) {
                if (Files.isRegularFile(p.resolve(marker))) {
                    return p;
                }
            }
        }
        return null;
    }

    private static List<String> cifar10Names(Path base) {
        Path meta = base.resolve("batches.meta.txt");
        return Files.isRegularFile(meta) ? names(meta, 10) : CIFAR10_CLASSES;
    }

    private static List<String> names(Path file, int expected) {
        if (!Files.isRegularFile(file)) {
            List<String> numbers = new ArrayList<>();
            for (int i = 0; i < expected; i++) {
                numbers.add(Integer.toString(i));
            }
            return numbers;
        }
        List<String> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new CrateException("cannot read class names " + file + ": " + e.getMessage(), e);
        }
        if (out.size() != expected) {
            throw new CrateException("class name file " + file + " lists " + out.size() + " names, expected "
                    + expected + "; restore it from the original archive or delete it to use numeric names");
        }
        return out;
    }

    private static Dataset read(List<Path> files, int labelBytes, List<String> classes) {
        int record = labelBytes + PIXELS;
        long total = 0;
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new CrateException("missing CIFAR file " + f + "; re-extract the complete archive into "
                        + f.getParent());
            }
            long length = size(f);
            if (length == 0 || length % record != 0) {
                throw new CrateException("CIFAR file " + f + " has " + length + " bytes, not a multiple of the "
                        + record + "-byte record; it is truncated or from the python version, use the binary version");
            }
            total += length / record;
        }
        int n = Math.toIntExact(total);
        int[] labels = new int[n];
        byte[] hwc = new byte[Math.multiplyExact(n, PIXELS)];
        int plane = SIDE * SIDE, k = 0;
        for (int fi = 0; fi < files.size(); fi++) {
            byte[] bytes = readAll(files.get(fi));
            for (int off = 0; off < bytes.length; off += record, k++) {
                // CIFAR-100 stores (coarse, fine); the fine label is the standard 100-class target.
                int label = bytes[off + labelBytes - 1] & 0xFF;
                if (label >= classes.size()) {
                    throw new CrateException("CIFAR file " + files.get(fi) + " has label " + label + " in record "
                            + (off / record) + ", outside 0.." + (classes.size() - 1) + "; the file is corrupt");
                }
                labels[k] = label;
                int src = off + labelBytes, dst = k * PIXELS;
                for (int i = 0; i < plane; i++) {
                    hwc[dst + 3 * i] = bytes[src + i];
                    hwc[dst + 3 * i + 1] = bytes[src + plane + i];
                    hwc[dst + 3 * i + 2] = bytes[src + 2 * plane + i];
                }
            }
        }
        return new InMemoryDataset(SIDE, SIDE, 3, hwc, labels, classes);
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new CrateException("cannot read CIFAR file " + f + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readAll(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new CrateException("cannot read CIFAR file " + f + ": " + e.getMessage(), e);
        }
    }
}

package org.crate4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.crate4j.CrateException;

/** Opens a dataset directory of any supported layout. */
public final class Datasets {
    private Datasets() {}

    /**
     * Detects idx (MNIST/Fashion-MNIST), CIFAR binary, or an image-folder tree with {@code train/} and
     * {@code val/} (or {@code test/}) subfolders, and returns the requested split.
     *
     * @param split "train", or "val"/"test" for the held-out split
     */
    public static Dataset open(Path dir, String split) {
        boolean train = isTrain(split);
        if (!Files.isDirectory(dir)) {
            throw new CrateException("dataset directory " + dir + " does not exist; pass an existing folder");
        }
        if (MnistIdx.looksLikeIdx(dir)) {
            return MnistIdx.load(dir, train);
        }
        if (CifarBinary.looksLikeCifar(dir)) {
            return CifarBinary.load(dir, train);
        }
        Path trainDir = dir.resolve("train");
        if (Files.isDirectory(trainDir)) {
            if (train) {
                return ImageFolder.scan(trainDir);
            }
            for (String name : new String[] {"val", "test"}) {
                if (Files.isDirectory(dir.resolve(name))) {
                    return ImageFolder.scan(dir.resolve(name));
                }
            }
            throw new CrateException("image-folder dataset " + dir + " has train/ but no val/ or test/ folder; "
                    + "add one for evaluation");
        }
        throw new CrateException("unrecognised dataset layout in " + dir + "; expected idx files "
                + "(train-images-idx3-ubyte.gz ...), CIFAR .bin files, or train/ and val/ image folders");
    }

    /** The first {@code n} entries of {@code d} (all of them when it has fewer). */
    public static Dataset head(Dataset d, int n) {
        int size = Math.min(n, d.size());
        return new Dataset() {
            @Override public int size() { return size; }
            @Override public Image image(int index) { return d.image(java.util.Objects.checkIndex(index, size)); }
            @Override public int label(int index) { return d.label(java.util.Objects.checkIndex(index, size)); }
            @Override public String source(int index) { return d.source(java.util.Objects.checkIndex(index, size)); }
            @Override public java.util.List<String> classes() { return d.classes(); }
            @Override public int channels() { return d.channels(); }
        };
    }

    static boolean isTrain(String split) {
        return switch (split == null ? "" : split.toLowerCase(Locale.ROOT)) {
            case "train" -> true;
            case "val", "test" -> false;
            default -> throw new CrateException("unknown split '" + split + "'; use train, val or test");
        };
    }
}

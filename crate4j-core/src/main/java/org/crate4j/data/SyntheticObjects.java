package org.crate4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.crate4j.CrateException;

/**
 * A small dataset with known segmentations, for showing that attention maps and MaskCut find
 * objects: one disc, square or triangle (the class) of random colour, size, position and rotation
 * on a random textured background (stripes, checks or smooth blobs of two colours, plus noise).
 * The classes take turns, so each split is balanced.
 *
 * <p>Written as an image folder ({@code train/<class>/}, {@code val/<class>/}) that {@code crate train}
 * reads, plus {@code masks/<name>.png}: grey PNGs whose value is 0 for background and class index + 1
 * (classes in folder order: disc 1, square 2, triangle 3) on the object. Image names are unique across
 * splits, so {@code masks/} is one flat folder keyed by the image's base name.
 */
public final class SyntheticObjects {
    public static final List<String> CLASSES = List.of("disc", "square", "triangle");

    private SyntheticObjects() {}

    /** One rendered image, its label map (0 background, class + 1 object) and class index. */
    public record Sample(Image image, LabelMap mask, int label) {}

    /** A random image of a random class. */
    public static Sample render(int size, SplittableRandom rng) {
        return render(size, rng, rng.nextInt(CLASSES.size()));
    }

    /** A random image of the given class (index into {@link #CLASSES}). */
    public static Sample render(int size, SplittableRandom rng, int label) {
        int[] c1 = colour(rng), c2 = colour(rng);
        int pattern = rng.nextInt(3);
        double angle = rng.nextDouble(Math.PI), freq = 2 + rng.nextDouble(4), phase = rng.nextDouble(2 * Math.PI);
        int cell = 4 + rng.nextInt(Math.max(1, size / 6));
        double[][] waves = new double[3][];
        for (int i = 0; i < 3; i++) {
            waves[i] = new double[] {rng.nextDouble(2 * Math.PI), 1 + rng.nextDouble(3), rng.nextDouble(2 * Math.PI)};
        }
        double radius = size * (0.16 + 0.14 * rng.nextDouble());
        double cx = radius + rng.nextDouble(size - 2 * radius), cy = radius + rng.nextDouble(size - 2 * radius);
        double rotation = rng.nextDouble(2 * Math.PI);
        int[] object = objectColour(rng, c1, c2);
        byte[] px = new byte[size * size * 3];
        int[] labels = new int[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double u = (x + 0.5) / size, v = (y + 0.5) / size;
                boolean inside = inside(label, x + 0.5 - cx, y + 0.5 - cy, radius, rotation);
                double t = switch (pattern) {
                    case 0 -> 0.5 + 0.5 * Math.sin(2 * Math.PI * freq * (u * Math.cos(angle) + v * Math.sin(angle)) + phase);
                    case 1 -> ((x / cell + y / cell) % 2 == 0) ? 0.15 : 0.85;
                    default -> blobs(waves, u, v);
                };
                int o = (y * size + x) * 3;
                for (int c = 0; c < 3; c++) {
                    double value = inside ? object[c] + 6 * rng.nextGaussian() : c1[c] * (1 - t) + c2[c] * t + 10 * rng.nextGaussian();
                    px[o + c] = (byte) Math.max(0, Math.min(255, (int) Math.round(value)));
                }
                labels[y * size + x] = inside ? label + 1 : 0;
            }
        }
        return new Sample(new Image(size, size, 3, px), new LabelMap(size, size, labels), label);
    }

    /** Writes {@code train} and {@code val} PNG images with their masks under {@code out}. */
    public static void write(Path out, int train, int val, int size, long seed) {
        write(out, train, val, size, seed, "png");
    }

    /**
     * Writes {@code train} and {@code val} images in {@code format} ({@code png} or {@code jpg};
     * masks are always PNG) under {@code out}.
     */
    public static void write(Path out, int train, int val, int size, long seed, String format) {
        if (!format.equals("png") && !format.equals("jpg")) {
            throw new CrateException("image format must be png or jpg, got '" + format + "'");
        }
        if (size < 16 || train < CLASSES.size() || val < CLASSES.size()) {
            throw new CrateException("synthetic data needs size >= 16 and at least " + CLASSES.size()
                    + " train and val images (one per class), got size " + size + ", train " + train + ", val " + val);
        }
        try {
            Files.createDirectories(out.resolve("masks"));
            for (String split : List.of("train", "val")) {
                for (String c : CLASSES) {
                    Files.createDirectories(out.resolve(split).resolve(c));
                }
            }
            writeSplit(out, "train", train, size, seed, format);
            writeSplit(out, "val", val, size, seed ^ 0x5EEDL, format);
            Files.writeString(out.resolve("synthetic.json"), String.format(java.util.Locale.ROOT,
                    "{\"classes\": [\"disc\", \"square\", \"triangle\"], \"size\": %d, \"train\": %d, \"val\": %d, \"seed\": %d,"
                            + " \"masks\": \"masks/<name>.png: 0 background, class index + 1 on the object\"}%n", size, train, val, seed));
        } catch (IOException e) {
            throw new CrateException("cannot write synthetic dataset to " + out + ": " + e.getMessage(), e);
        }
    }

    private static void writeSplit(Path out, String split, int count, int size, long seed, String format) {
        SplittableRandom root = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            // classes in turn, so every split is balanced and every class folder is non-empty;
            // one random stream per image, so image i does not depend on the count
            Sample s = render(size, root.split(), i % CLASSES.size());
            String name = String.format(java.util.Locale.ROOT, "%s_%05d", split, i);
            ImageFiles.write(s.image(), out.resolve(split).resolve(CLASSES.get(s.label())).resolve(name + "." + format), format);
            s.mask().writePng(out.resolve("masks").resolve(name + ".png"));
        }
    }

    static boolean inside(int shape, double dx, double dy, double r, double rotation) {
        double u = dx * Math.cos(rotation) + dy * Math.sin(rotation), v = -dx * Math.sin(rotation) + dy * Math.cos(rotation);
        switch (shape) {
            case 0:
                return u * u + v * v <= r * r;
            case 1:
                double half = r * 0.8; // a square a little smaller than the disc, so areas are comparable
                return Math.abs(u) <= half && Math.abs(v) <= half;
            default:
                // equilateral triangle with circumradius r: inside all three edge half-planes
                for (int k = 0; k < 3; k++) {
                    double a = Math.PI / 2 + 2 * Math.PI * k / 3 + Math.PI / 3;
                    if (u * Math.cos(a) + v * Math.sin(a) > r / 2) {
                        return false;
                    }
                }
                return true;
        }
    }

    private static double blobs(double[][] waves, double u, double v) {
        double s = 0;
        for (double[] w : waves) {
            s += Math.sin(2 * Math.PI * w[1] * (u * Math.cos(w[0]) + v * Math.sin(w[0])) + w[2]);
        }
        return 0.5 + s / 6;
    }

    private static int[] colour(SplittableRandom rng) {
        return new int[] {40 + rng.nextInt(176), 40 + rng.nextInt(176), 40 + rng.nextInt(176)};
    }

    /** A colour far (in L1) from both background colours, so the object is visible. */
    private static int[] objectColour(SplittableRandom rng, int[] c1, int[] c2) {
        int[] best = null;
        int bestDistance = -1;
        for (int attempt = 0; attempt < 20; attempt++) {
            int[] c = {rng.nextInt(256), rng.nextInt(256), rng.nextInt(256)};
            int d = Math.min(l1(c, c1), l1(c, c2));
            if (d > bestDistance) {
                best = c;
                bestDistance = d;
            }
            if (d >= 150) {
                break;
            }
        }
        return best;
    }

    private static int l1(int[] a, int[] b) {
        return Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2]);
    }
}

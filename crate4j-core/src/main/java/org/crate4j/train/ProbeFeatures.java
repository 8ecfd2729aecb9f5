package org.crate4j.train;

import java.util.Arrays;
import me.tongfei.progressbar.ProgressBar;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.data.BadFiles;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;

/**
 * The inputs of a linear probe: one feature row per readable image of a split, extracted once.
 * A file that cannot be decoded is left out and counted (or, strict, stops the extraction); a
 * class left with no readable image is an error.
 *
 * @param values     (count, dim) row-major
 * @param unreadable the files left out
 */
public record ProbeFeatures(float[] values, int count, int dim, int[] labels, BadFiles unreadable) {
    public ProbeFeatures(float[] values, int count, int dim, int[] labels) {
        this(values, count, dim, labels, BadFiles.NONE);
    }

    /** How an image becomes a vector. */
    public enum Pooling {
        /** The encoder's class token. */
        CLS,
        /** The mean of the encoder's patch tokens (class token left out). */
        MEAN;

        public static Pooling parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "cls" -> CLS;
                case "mean" -> MEAN;
                default -> throw new org.crate4j.CrateException("unknown --features '" + s + "': use cls or mean");
            };
        }
    }

    /** The frozen encoder's output on unmasked images (after its final norm), pooled; computed on the model's device. */
    public static ProbeFeatures encoder(CrateMae model, Pooling pooling, Dataset ds, Transform tf, int batch, int workers,
            Precision precision, String task, boolean strictData) {
        int d = model.config().encoderDim(), n = model.config().numPatches();
        return collect(ds, tf, batch, workers, d, task, strictData, b -> {
            try (NoGradGuard g = new NoGradGuard(); Precision.Scope ac = precision.enter(model.device())) {
                Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
                Tensor z = model.encodeFeatures(x);
                Tensor f = pooling == Pooling.CLS ? z.select(1, 0)
                        : z.narrow(1, 1, n).mean(new long[] {1}, false, new ScalarTypeOptional());
                return Torch.toFloats(f);
            }
        });
    }

    /** The normalised pixels themselves, flattened (the baseline any encoder should beat). */
    public static ProbeFeatures pixels(Dataset ds, Transform tf, int batch, int workers, int dim, String task, boolean strictData) {
        return collect(ds, tf, batch, workers, dim, task, strictData, Batch::images);
    }

    private static ProbeFeatures collect(Dataset ds, Transform tf, int batch, int workers, int dim, String task, boolean strictData,
            java.util.function.Function<Batch, float[]> features) {
        float[] values = new float[Math.multiplyExact(ds.size(), dim)];
        int[] labels = new int[ds.size()];
        int row = 0;
        double[] perClass = new double[ds.classes().size()];
        BadFiles unreadable;
        try (DataLoader loader = new DataLoader(ds, tf, batch, false, false, 0, workers, 2)
                        .onBadFile(DataIntegrity.forEvaluation(strictData));
                ProgressBar bar = ProgressBars.start(task, ds.size(), 0, true)) {
            for (Batch b : loader) {
                try (PointerScope scope = new PointerScope()) {
                    float[] f = features.apply(b);
                    if (f.length != b.size() * dim) {
                        throw new IllegalStateException("features have " + f.length / b.size() + " values per image, expected " + dim);
                    }
                    System.arraycopy(f, 0, values, row * dim, f.length);
                    System.arraycopy(b.labels(), 0, labels, row, b.size());
                }
                for (int y : b.labels()) {
                    perClass[y]++;
                }
                row += b.size();
                bar.stepBy(b.size());
            }
            int[] bad = loader.badIndices();
            DataIntegrity.requireReadableClasses(loader, perClass, bad);
            unreadable = loader.badFiles(bad);
        }
        return new ProbeFeatures(Arrays.copyOf(values, row * dim), row, dim, Arrays.copyOf(labels, row), unreadable);
    }
}

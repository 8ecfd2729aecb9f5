package org.crate4j.train;

import me.tongfei.progressbar.ProgressBar;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;

/**
 * The inputs of a linear probe: one feature row per image of a split, extracted once.
 *
 * @param values (count, dim) row-major
 */
public record ProbeFeatures(float[] values, int count, int dim, int[] labels) {

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
            Precision precision, String task) {
        int d = model.config().encoderDim(), n = model.config().numPatches();
        return collect(ds, tf, batch, workers, d, task, b -> {
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
    public static ProbeFeatures pixels(Dataset ds, Transform tf, int batch, int workers, int dim, String task) {
        return collect(ds, tf, batch, workers, dim, task, Batch::images);
    }

    private static ProbeFeatures collect(Dataset ds, Transform tf, int batch, int workers, int dim, String task,
            java.util.function.Function<Batch, float[]> features) {
        float[] values = new float[Math.multiplyExact(ds.size(), dim)];
        int[] labels = new int[ds.size()];
        int row = 0;
        try (DataLoader loader = new DataLoader(ds, tf, batch, false, false, 0, workers, 2);
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
                row += b.size();
                bar.stepBy(b.size());
            }
        }
        return new ProbeFeatures(values, row, dim, labels);
    }
}

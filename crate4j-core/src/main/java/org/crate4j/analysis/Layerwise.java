package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.data.Batch;
import org.crate4j.engine.Torch;
import org.crate4j.model.LayerTrace;

/**
 * Accumulates the coding rate and sparsity of every layer over many images, batch by batch, and
 * keeps each image's value so the standard deviation is over images, not over batch means.
 */
public final class Layerwise {
    private final int depth;
    private final double epsilon;
    private final List<List<Double>> rates = new ArrayList<>();
    private final List<List<Double>> zeros = new ArrayList<>();
    private int images;

    public Layerwise(int depth) {
        this(depth, CodingRate.EPSILON);
    }

    public Layerwise(int depth, double epsilon) {
        this.depth = depth;
        this.epsilon = epsilon;
        for (int i = 0; i < depth; i++) {
            rates.add(new ArrayList<>());
            zeros.add(new ArrayList<>());
        }
    }

    /** Adds one batch's traces (one per layer). */
    public void add(List<LayerTrace> traces) {
        if (traces.size() != depth) {
            throw new IllegalArgumentException("expected " + depth + " layer traces, got " + traces.size());
        }
        int batch = 0;
        for (int l = 0; l < depth; l++) {
            double[] r = CodingRate.perImage(traces.get(l).subspaces(), epsilon);
            double[] z = Sparsity.zeroFraction(traces.get(l).sparse());
            for (int i = 0; i < r.length; i++) {
                rates.get(l).add(r[i]);
                zeros.get(l).add(z[i]);
            }
            batch = r.length;
        }
        images += batch;
    }

    public int images() {
        return images;
    }

    public LayerwiseResult result() {
        List<LayerwiseResult.LayerStats> layers = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            double[] z = toArray(zeros.get(l));
            double[] nz = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                nz[i] = 1.0 - z[i];
            }
            layers.add(new LayerwiseResult.LayerStats(l, MeanStd.of(toArray(rates.get(l))), MeanStd.of(z), MeanStd.of(nz)));
        }
        return new LayerwiseResult(images, epsilon, List.copyOf(layers));
    }

    /**
     * Runs the encoder over batches until {@code maxImages} images were measured, reporting each
     * batch's image count to {@code progress}. No batch is asked for once enough are measured (a
     * loader then reads, and counts as unreadable, only what was needed). Every batch's tensors are
     * freed before the next.
     */
    public static LayerwiseResult measure(TracedEncoder encoder, Iterable<Batch> batches, int maxImages, IntConsumer progress) {
        Layerwise acc = new Layerwise(encoder.depth());
        for (Iterator<Batch> it = batches.iterator(); acc.images() < maxImages && it.hasNext(); ) {
            Batch b = it.next();
            int take = Math.min(b.size(), maxImages - acc.images());
            try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
                Tensor x = Torch.floats(encoder.device(), b.images(), b.size(), b.channels(), b.height(), b.width()).narrow(0, 0, take);
                acc.add(encoder.trace(x));
            }
            progress.accept(take);
        }
        return acc.result();
    }

    private static double[] toArray(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}

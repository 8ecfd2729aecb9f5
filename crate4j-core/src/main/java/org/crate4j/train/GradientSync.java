package org.crate4j.train;

import java.util.Collection;
import org.bytedeco.pytorch.Tensor;

/**
 * What data parallelism adds to the loop: averaging gradients and reducing metrics across
 * processes. A single process uses {@link #none()}.
 */
public interface GradientSync extends AutoCloseable {
    int rank();

    int worldSize();

    /**
     * Called once before training with the parameters {@link #averageGradients} will see, so that an
     * implementation can start reducing gradients while backward is still running.
     */
    default void prepare(Collection<Tensor> params) {}

    /**
     * As {@link #prepare(Collection)}; with {@code findUnused}, a parameter that got no gradient on
     * any process is left without one, as it is on one process (so an optimizer skips it: no
     * moments, no weight decay), at the cost of one small allreduce per step of which parameters
     * each process used (DDP's {@code find_unused_parameters}).
     */
    default void prepare(Collection<Tensor> params, boolean findUnused) {
        prepare(params);
    }

    /**
     * Gradient accumulation: while {@code on}, backward only sums gradients into each parameter's
     * {@code .grad} on this process, with no communication (DDP's {@code no_sync}). The backward after
     * it is switched off (the step's last micro-batch) reduces the whole sum, overlapping that
     * backward as usual, so a step of K micro-batches costs one allreduce, not K.
     */
    default void accumulateLocally(boolean on) {}

    /** Replaces every parameter's gradient by its mean over all processes (call after backward). */
    void averageGradients(Collection<Tensor> params);

    /** Sums values elementwise over all processes (metrics). */
    double[] sum(double[] values);

    /** Overwrites parameters with rank 0's (start of training). */
    void broadcast(Collection<Tensor> params);

    @Override
    default void close() {}

    static GradientSync none() {
        return new GradientSync() {
            public int rank() { return 0; }
            public int worldSize() { return 1; }
            public void averageGradients(Collection<Tensor> params) {}
            public double[] sum(double[] values) { return values; }
            public void broadcast(Collection<Tensor> params) {}
        };
    }
}

package org.crate4j.engine;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.global.torch;

/**
 * Where a step's time goes, by kind of operation, from our own timers: the libtorch profiler's
 * start and stop are not mapped by the Java presets, so the model marks its operations with
 * {@link #time} instead. Off (no profiler started) a mark costs one field read.
 *
 * <p>Forward: each marked operation is timed on its own (libtorch's CPU kernels return when their
 * threads are done; on CUDA each boundary synchronises). Nested marks count for the outermost.
 * Backward is one libtorch call, so each marked output gets a gradient hook instead: the hook runs
 * just before autograd starts on the node that produced the output, and the time until the next
 * hook goes to that output's kind. Autograd runs the nodes in about the reverse of their creation
 * order, so the intervals are the backward passes of the marked operations; the time before the
 * first hook (the loss's backward) is {@link Kind#OTHER}. A marked output must not be changed in
 * place afterwards: libtorch moves its hook to the in-place operation's node, and the backward of
 * the marked operation would then count for the next mark's kind.
 */
public final class OpProfiler implements AutoCloseable {
    /** The kinds a step is broken into. */
    public enum Kind {
        GEMM("gemm"), ATTENTION("attention"), LAYER_NORM("layerNorm"), ELEMENTWISE("elementwise"), COPY("copy"),
        OPTIMIZER("optimizer"), OTHER("other");

        public final String key;

        Kind(String key) {
            this.key = key;
        }
    }

    private static volatile OpProfiler active;

    private final Thread owner = Thread.currentThread();
    private final boolean cuda;
    private final List<VoidTensorHook> hooks = new ArrayList<>();
    private Map<Kind, Long> phase = new EnumMap<>(Kind.class);
    private int depth;
    private Kind backwardKind;
    private long backwardMark;

    private OpProfiler(Device device) {
        this.cuda = device.isCuda();
    }

    /** Whether a profiler is timing marks (then {@link ThreadShards} splits nothing). */
    public static boolean running() {
        return active != null;
    }

    /** Starts timing the marks made on this thread (one profiler at a time). */
    public static OpProfiler start(Device device) {
        OpProfiler p = new OpProfiler(device);
        active = p;
        return p;
    }

    /** Runs {@code op}; while a profiler runs, its time (and its backward's, when it needs one) goes to {@code kind}. */
    public static Tensor time(Kind kind, Supplier<Tensor> op) {
        OpProfiler p = active;
        if (p == null || p.depth > 0 || Thread.currentThread() != p.owner) {
            return op.get();
        }
        return p.timed(kind, op);
    }

    /** Runs {@code body} (the optimizer's update) and, while a profiler runs, counts its time as {@code kind}. */
    public static void run(Kind kind, Runnable body) {
        time(kind, () -> {
            body.run();
            return null;
        });
    }

    /**
     * Starts a new phase and returns the one that ends: nanoseconds by kind since the previous
     * call (or the start).
     */
    public Map<Kind, Long> nextPhase() {
        Map<Kind, Long> done = phase;
        phase = new EnumMap<>(Kind.class);
        return done;
    }

    /** Runs a backward pass, sharing its time out among the kinds of the marked outputs it passes through. */
    public void backward(Runnable backward) {
        sync();
        backwardKind = Kind.OTHER;
        backwardMark = System.nanoTime();
        try {
            backward.run();
            sync();
            onHook(null);
        } finally {
            backwardKind = null;
        }
    }

    @Override
    public void close() {
        if (active == this) {
            active = null;
        }
        hooks.forEach(VoidTensorHook::releaseReference);
        hooks.clear();
    }

    private Tensor timed(Kind kind, Supplier<Tensor> op) {
        sync();
        long t0 = System.nanoTime();
        Tensor out;
        depth++;
        try {
            out = op.get();
            sync();
        } finally {
            depth--;
        }
        add(kind, System.nanoTime() - t0);
        if (out != null && out.requires_grad()) {
            hook(out, kind);
        }
        return out;
    }

    private void hook(Tensor out, Kind kind) {
        VoidTensorHook h = new VoidTensorHook() {
            @Override
            public void call(TensorBase grad) {
                onHook(kind);
            }
        };
        h.retainReference();
        hooks.add(h);
        out.register_hook(h);
    }

    // runs inside autograd: the interval that ends here was the previous kind's backward
    private void onHook(Kind next) {
        if (backwardKind == null) {
            return;
        }
        sync();
        long now = System.nanoTime();
        add(backwardKind, now - backwardMark);
        backwardKind = next;
        backwardMark = now;
    }

    private void add(Kind kind, long nanos) {
        phase.merge(kind, nanos, Long::sum);
    }

    private void sync() {
        if (cuda) {
            torch.cuda_synchronize();
        }
    }
}

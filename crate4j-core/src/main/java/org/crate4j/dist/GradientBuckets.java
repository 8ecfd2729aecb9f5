package org.crate4j.dist;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.VoidTensorHook;
import org.bytedeco.pytorch.Work;

/**
 * DDP's gradient buckets: the parameters, in reverse order (roughly the order backward produces
 * their gradients), are packed into a few flat tensors of at most {@code capBytes} (the first one
 * smaller, so communication starts early). A hook on every parameter copies its gradient into its
 * bucket as soon as autograd has computed it; a full bucket is allreduced at once, on the
 * backend's own threads, while backward carries on with the earlier layers. Buckets are launched
 * strictly in index order so that every rank issues the same collectives in the same order.
 *
 * <p>A hook sees the gradient of its own backward only; {@code .grad} holds the sum of the earlier
 * ones. Gradient accumulation (K backward passes per step) therefore keeps the hooks idle for the
 * first K − 1 passes ({@link #accumulateLocally}), and in the last one a hook packs its gradient
 * plus the {@code .grad} summed so far: the bucket holds the whole step's gradient, and its
 * allreduce still overlaps the last backward. The trainer zeroes gradients between steps.
 */
final class GradientBuckets {
    /** Starts an allreduce (sum) of a flat bucket; the returned work is waited for in {@link #finish}. */
    interface Allreduce {
        Work start(Tensor flat, int bucket, int buckets);
    }

    private static final class Slot {
        final Tensor param, view;
        final Bucket bucket;
        /** Its place in {@code slots}: the same on every process. */
        final int index;
        boolean ready;

        Slot(Tensor param, Tensor view, Bucket bucket, int index) {
            this.param = param;
            this.view = view;
            this.bucket = bucket;
            this.index = index;
        }
    }

    private static final class Bucket {
        final int index;
        final Tensor flat;
        final List<Slot> slots = new ArrayList<>();
        int ready;
        Work work;

        Bucket(int index, Tensor flat) {
            this.index = index;
            this.flat = flat;
        }

        boolean full() {
            return ready == slots.size();
        }
    }

    private final List<Bucket> buckets = new ArrayList<>();
    private final List<Slot> slots = new ArrayList<>();
    private final List<VoidTensorHook> hooks = new ArrayList<>();
    private final Allreduce allreduce;
    private final long bytes;
    private int nextLaunch;
    private int launchedDuringBackward;
    private RuntimeException hookFailure;
    /** Hooks idle: this backward only accumulates into .grad. */
    private boolean local;
    /** An earlier backward of this step left its gradient in .grad, to be packed with the last one's. */
    private boolean carried;

    GradientBuckets(List<Tensor> params, long capBytes, long firstCapBytes, Allreduce allreduce) {
        this.allreduce = allreduce;
        List<List<Tensor>> groups = new ArrayList<>();
        List<Tensor> current = new ArrayList<>();
        long size = 0, total = 0;
        for (int i = params.size() - 1; i >= 0; i--) {
            Tensor p = params.get(i);
            long b = p.numel() * p.element_size();
            long cap = groups.isEmpty() ? firstCapBytes : capBytes;
            boolean sameKind = current.isEmpty() || (current.get(0).scalar_type().value == p.scalar_type().value
                    && current.get(0).is_cuda() == p.is_cuda());
            if (!current.isEmpty() && (size + b > cap || !sameKind)) {
                groups.add(current);
                current = new ArrayList<>();
                size = 0;
            }
            current.add(p);
            size += b;
            total += b;
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        this.bytes = total;
        try (NoGradGuard g = new NoGradGuard()) {
            for (List<Tensor> group : groups) {
                long n = 0;
                for (Tensor p : group) {
                    n += p.numel();
                }
                Tensor flat = group.get(0).detach().new_zeros(n); // the parameters' dtype and device
                flat.retainReference();
                Bucket bucket = new Bucket(buckets.size(), flat);
                long offset = 0;
                for (Tensor p : group) {
                    Tensor view = flat.narrow(0, offset, p.numel()).view(shape(p));
                    view.retainReference();
                    Slot s = new Slot(p, view, bucket, slots.size());
                    bucket.slots.add(s);
                    slots.add(s);
                    offset += p.numel();
                }
                buckets.add(bucket);
            }
        }
    }

    /** Installs one gradient hook per parameter (once, for the life of the parameters). */
    void attachHooks() {
        for (Slot s : slots) {
            VoidTensorHook hook = new VoidTensorHook() {
                @Override
                public void call(TensorBase grad) {
                    onGradient(s, grad);
                }
            };
            hook.retainReference();
            hooks.add(hook);
            s.param.register_hook(hook);
        }
    }

    int count() {
        return buckets.size();
    }

    /** While on, backward leaves its gradients in .grad for a later backward of the same step to pack. */
    void accumulateLocally(boolean on) {
        local = on;
        carried |= on;
    }

    /** Bytes of one full set of gradients (the payload allreduced per step). */
    long bytes() {
        return bytes;
    }

    /** Buckets whose allreduce started while backward was still running, in the last step. */
    int launchedDuringBackward() {
        return launchedDuringBackward;
    }

    // Runs inside autograd (on the thread that called backward, for CPU tensors). Exceptions must
    // not cross into libtorch: they are kept and thrown by finish().
    private void onGradient(Slot s, TensorBase grad) {
        try {
            if (local || s.ready || hookFailure != null) {
                return;
            }
            s.view.copy_(new Tensor(grad));
            Tensor earlier = carried ? s.param.grad() : null; // a tensor hook runs before autograd adds grad into .grad
            if (earlier != null && earlier.defined()) {
                s.view.add_(earlier);
            }
            s.ready = true;
            s.bucket.ready++;
            launchFullBuckets();
        } catch (RuntimeException e) {
            hookFailure = e;
        }
    }

    private void launchFullBuckets() {
        while (nextLaunch < buckets.size() && buckets.get(nextLaunch).full()) {
            Bucket b = buckets.get(nextLaunch++);
            b.work = allreduce.start(b.flat, b.index, buckets.size());
            // launched inside backward, the handle belongs to the caller's innermost PointerScope (a
            // micro-batch's, when accumulating), which closes before finish() waits for it
            b.work.retainReference();
        }
    }

    /**
     * Completes the step after backward: buckets whose parameters got no gradient in the last
     * backward (unused parameters) take the parameter's current, accumulated gradient or zeros, everything left is
     * launched, every allreduce is awaited, and each gradient is replaced by the sum divided by
     * {@code divisor}.
     *
     * @param await waits for one work and turns a failure into a clear error
     */
    void finish(double divisor, Consumer<Work> await) {
        finish(divisor, await, null);
    }

    /** Per parameter, in the buckets' order (the same on every process): whether it has a gradient from this process's backward (hooked or accumulated). */
    boolean[] locallyUsed() {
        boolean[] used = new boolean[slots.size()];
        for (int i = 0; i < used.length; i++) {
            Slot s = slots.get(i);
            Tensor grad = s.param.grad();
            used[i] = s.ready || (grad != null && grad.defined());
        }
        return used;
    }

    /**
     * As {@link #finish(double, Consumer)}; a parameter whose {@code globallyUsed} entry is false
     * (no process gave it a gradient) is left without one, as on one process.
     */
    void finish(double divisor, Consumer<Work> await, boolean[] globallyUsed) {
        if (hookFailure != null) {
            RuntimeException e = hookFailure;
            hookFailure = null;
            throw e;
        }
        launchedDuringBackward = nextLaunch;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Slot s : slots) {
                if (!s.ready) {
                    Tensor grad = s.param.grad();
                    if (grad != null && grad.defined()) {
                        s.view.copy_(grad);
                    } else {
                        s.view.zero_();
                    }
                    s.ready = true;
                    s.bucket.ready++;
                }
            }
            launchFullBuckets();
            Scalar d = new Scalar(divisor);
            for (Bucket b : buckets) {
                try {
                    await.accept(b.work);
                } finally {
                    b.work.releaseReference();
                    b.work = null;
                }
                b.flat.div_(d);
                for (Slot s : b.slots) {
                    Tensor grad = s.param.grad();
                    if (grad == null || !grad.defined()) {
                        if (globallyUsed == null || globallyUsed[s.index]) {
                            s.param.mutable_grad().put(s.view.clone());
                        }
                    } else {
                        grad.copy_(s.view);
                    }
                    s.ready = false;
                }
                b.ready = 0;
            }
            nextLaunch = 0;
            carried = false;
        }
    }

    private static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }
}

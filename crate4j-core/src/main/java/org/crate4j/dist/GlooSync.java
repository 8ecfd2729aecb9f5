package org.crate4j.dist;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.BroadcastOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.train.GradientSync;

/**
 * Data parallelism on libtorch's c10d: rendezvous through a TCPStore hosted by rank 0, collectives
 * through ProcessGroupGloo (CPU tensors) or ProcessGroupNCCL (CUDA tensors; untested here). Gradients
 * are averaged in buckets whose allreduce starts from autograd hooks while backward is still running
 * (see {@link GradientBuckets}). A collective that fails — a peer's connection closed, or nothing
 * arrived within the timeout — ends this rank with one line naming the rank to blame.
 */
public final class GlooSync implements GradientSync {
    /** Communication so far. Payload bytes are what each rank contributes to its allreduces. */
    public record Traffic(long steps, int buckets, long gradientBytesPerStep, long otherBytes, double waitSecondsPerStep,
            int bucketsStartedInBackward, int worldSize) {
        /** Bytes a rank sends per step in a ring allreduce: 2(W−1)/W of the payload. */
        public long ringBytesSentPerStep() {
            return Math.round(2.0 * (worldSize - 1) / worldSize * gradientBytesPerStep);
        }

        public String describe() {
            return String.format("communication: %d gradient syncs, %.2f MB of gradients allreduced per step in %d buckets "
                    + "(a ring allreduce sends %.2f MB per rank per step), %d of them started during backward; "
                    + "%.1f ms per step waiting for the allreduce; %.2f MB of other collectives",
                    steps, gradientBytesPerStep / 1e6, buckets, ringBytesSentPerStep() / 1e6, bucketsStartedInBackward,
                    1000 * waitSecondsPerStep, otherBytes / 1e6);
        }
    }

    private static final long MB = 1L << 20;

    private final DistEnv env;
    private final Store store;
    private final Backend backend;
    private final PeerWatch watch;
    /** Where the collectives' tensors live: the model's device (NCCL reduces CUDA tensors only). */
    private final Device device;
    private final long bucketBytes;
    private GradientBuckets buckets;
    private long steps, otherBytes, waitNanos;
    /** Whether parameters no process used keep no gradient (see {@link GradientSync#prepare(Collection, boolean)}). */
    private boolean findUnused;
    private boolean closed;

    private GlooSync(DistEnv env, Store store, Backend backend, PeerWatch watch, Device device, long bucketBytes) {
        this.env = env;
        this.store = store;
        this.backend = backend;
        this.watch = watch;
        this.device = device;
        this.bucketBytes = bucketBytes;
    }

    /** Joins the job described by {@code env}: rendezvous, backend, heartbeat. */
    public static GlooSync connect(DistEnv env, Device device) {
        LauncherWatch.startIfLaunched(env.rank());
        Torch.init();
        device.require();
        Store store;
        try {
            store = Rendezvous.join(env);
        } catch (CrateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CrateException("rank " + env.rank() + ": rendezvous with " + env.masterAddr() + ":" + env.masterPort()
                    + " failed: " + Rendezvous.firstLine(e));
        }
        store.retainReference();
        Backend backend = Backends.create(store, env, device);
        backend.retainReference();
        PeerWatch watch = new PeerWatch(store, env.rank(), env.worldSize());
        watch.start();
        String cap = System.getenv("CRATE4J_BUCKET_MB");
        long bucketBytes = cap == null ? 4 * MB : Math.max(1, Math.round(Double.parseDouble(cap) * MB));
        return new GlooSync(env, store, backend, watch, device, bucketBytes);
    }

    public DistEnv env() {
        return env;
    }

    @Override
    public int rank() {
        return env.rank();
    }

    @Override
    public int worldSize() {
        return env.worldSize();
    }

    /** Buckets the parameters' gradients and hooks them, so their allreduce overlaps backward. */
    @Override
    public void prepare(Collection<Tensor> params, boolean findUnused) {
        this.findUnused = findUnused;
        prepare(params);
    }

    @Override
    public void prepare(Collection<Tensor> params) {
        if (buckets != null) {
            return;
        }
        // DDP uses 25 MB buckets (1 MB first); CRATE models are small, so smaller buckets give overlap
        buckets = new GradientBuckets(new ArrayList<>(params), bucketBytes, Math.min(bucketBytes, MB), this::startBucket);
        buckets.attachHooks();
    }

    @Override
    public void accumulateLocally(boolean on) {
        if (buckets != null) { // before prepare() no hook exists, and finish() reads the accumulated .grad
            buckets.accumulateLocally(on);
        }
    }

    @Override
    public void averageGradients(Collection<Tensor> params) {
        if (buckets == null) {
            prepare(params); // no overlap for this first step: its backward ran before the hooks existed
        }
        steps++;
        long t0 = System.nanoTime();
        boolean[] used = findUnused ? globallyUsed(buckets.locallyUsed()) : null;
        buckets.finish(worldSize(), w -> await("allreduce of gradients (step " + steps + ")", w), used);
        waitNanos += System.nanoTime() - t0;
    }

    /** Which parameters got a gradient on at least one process. */
    private boolean[] globallyUsed(boolean[] local) {
        double[] counts = new double[local.length];
        for (int i = 0; i < local.length; i++) {
            counts[i] = local[i] ? 1 : 0;
        }
        counts = sum(counts);
        boolean[] used = new boolean[local.length];
        for (int i = 0; i < used.length; i++) {
            used[i] = counts[i] > 0;
        }
        return used;
    }

    private Work startBucket(Tensor flat, int bucket, int count) {
        AllreduceOptions o = new AllreduceOptions();
        return start("allreduce of gradient bucket " + (bucket + 1) + "/" + count + " (step " + (steps + 1) + ")",
                () -> backend.allreduce(new TensorVector(flat), o));
    }

    @Override
    public double[] sum(double[] values) {
        Tensor t = Torch.doubles(device, values, values.length);
        run("allreduce of metrics", () -> backend.allreduce(new TensorVector(t), new AllreduceOptions()));
        otherBytes += 8L * values.length;
        double[] out = new double[values.length];
        t.cpu().contiguous().data_ptr_double().get(out);
        return out;
    }

    @Override
    public void broadcast(Collection<Tensor> params) {
        List<Tensor> ps = new ArrayList<>(params);
        try (NoGradGuard g = new NoGradGuard()) {
            TensorVector pieces = new TensorVector();
            for (Tensor p : ps) {
                pieces.push_back(p.detach().reshape(-1));
            }
            Tensor flat = torch.cat(pieces);
            BroadcastOptions o = new BroadcastOptions();
            o.rootRank(0);
            run("broadcast of the parameters from rank 0", () -> backend.broadcast(new TensorVector(flat), o));
            otherBytes += flat.numel() * flat.element_size();
            long offset = 0;
            for (Tensor p : ps) {
                p.detach().copy_(flat.narrow(0, offset, p.numel()).view_as(p));
                offset += p.numel();
            }
        }
    }

    /**
     * Runs {@code body} first on each machine's local rank 0 and then on the other ranks (for work
     * that must not race, such as downloading a dataset). Waits up to 30 minutes.
     */
    public <T> T localLeaderFirst(Supplier<T> body) {
        T value = null;
        if (env.localRank() == 0) {
            value = body.get();
        }
        Tensor t = Torch.doubles(device, new double[] {0}, 1);
        AllreduceOptions o = new AllreduceOptions();
        o.timeout(new Milliseconds(Math.max(env.timeout().toMillis(), 30 * 60 * 1000L)));
        run("barrier after the data preparation", () -> backend.allreduce(new TensorVector(t), o));
        return env.localRank() == 0 ? value : body.get();
    }

    public Traffic traffic() {
        return new Traffic(steps, buckets == null ? 0 : buckets.count(), buckets == null ? 0 : buckets.bytes(), otherBytes,
                steps == 0 ? 0 : waitNanos / 1e9 / steps, buckets == null ? 0 : buckets.launchedDuringBackward(), worldSize());
    }

    /** Tells the other ranks why this one is leaving (they quote it instead of guessing). */
    public void postFailure(String reason) {
        watch.postFailure(reason);
    }

    /** Waits for all ranks (so that rank 0's store outlives everyone's last use), then stops the heartbeat. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Tensor t = Torch.doubles(device, new double[] {0}, 1);
        run("final barrier", () -> backend.allreduce(new TensorVector(t), new AllreduceOptions()));
        watch.close();
    }

    private void run(String what, Supplier<Work> op) {
        await(what, start(what, op));
    }

    private Work start(String what, Supplier<Work> op) {
        watch.collectiveStarted();
        try {
            return op.get();
        } catch (RuntimeException e) {
            throw broken(what, e, System.nanoTime());
        }
    }

    private void await(String what, Work w) {
        long t0 = System.nanoTime();
        try {
            w._wait();
        } catch (RuntimeException e) {
            throw broken(what, e, t0);
        }
    }

    private PeerFailure broken(String what, RuntimeException e, long since) {
        String cause = Rendezvous.firstLine(e);
        String why = watch.diagnose();
        return new PeerFailure(String.format("rank %d: %s failed after %.1f s: %s [%s]", rank(), what,
                (System.nanoTime() - since) / 1e9, why, cause), e);
    }

    /** A collective broke because of another rank; this rank did nothing wrong. */
    public static final class PeerFailure extends CrateException {
        PeerFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

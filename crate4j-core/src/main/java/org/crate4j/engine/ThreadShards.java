package org.crate4j.engine;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.ThreadLocalState;
import org.bytedeco.pytorch.ThreadLocalStateGuard;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;

/**
 * Data parallelism inside one process: a batch is cut into one shard of rows per thread, and each
 * shard runs on a worker thread of its own with libtorch's intra-op pool at one thread there.
 *
 * <p>Why: libtorch hands each matmul to a single OpenBLAS call, and OpenBLAS stays at one thread
 * beside OpenMP (see {@link Torch#init}), so inside one process every GEMM, about 70 % of a CPU step,
 * ran on one core however many threads were asked for. Shards give each core its own GEMMs, as
 * separate processes would, without their gradient exchange (measured in docs/performance.md).
 *
 * <p>A shard sees the caller's libtorch thread state (grad mode, autocast, inference mode), so it
 * computes what the caller would. Its tensors move to the caller's innermost {@link PointerScope}.
 * Inside a worker, and while an {@link OpProfiler} runs (its marks are one thread's), nothing is
 * split. Only the CPU is split: a GPU's kernels are already asynchronous and parallel.
 */
public final class ThreadShards {
    private ThreadShards() {}

    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    /** Null until set or first asked: then what CRATE4J_THREAD_SHARDS says. */
    private static volatile Boolean enabled;
    private static volatile int threads = 1;
    private static ExecutorService pool;
    private static int poolSize;
    private static final java.util.concurrent.atomic.AtomicLong RUN = new java.util.concurrent.atomic.AtomicLong();

    /** How many shards have run on workers in this process (a check that a path was split). */
    public static long shardsRun() {
        return RUN.get();
    }

    /** Called by {@link Torch#setThreads}: shards follow the intra-op thread count. */
    static void threads(int n) {
        threads = n;
    }

    /** Turns splitting on or off for the whole process (on by default; CRATE4J_THREAD_SHARDS=0 starts it off). */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /** Whether batches are split; unless set, as CRATE4J_THREAD_SHARDS says (a value other than 0/1, off/on, false/true fails in one line). */
    public static boolean enabled() {
        Boolean e = enabled;
        if (e == null) {
            e = fromEnvironment(System.getenv("CRATE4J_THREAD_SHARDS"));
            enabled = e;
        }
        return e;
    }

    /** CRATE4J_THREAD_SHARDS's value as a switch: unset, 1, on or true is on; 0, off or false is off; anything else is refused. */
    static boolean fromEnvironment(String value) {
        if (value == null || value.equals("1") || value.equalsIgnoreCase("on") || value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equals("0") || value.equalsIgnoreCase("off") || value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new CrateException("CRATE4J_THREAD_SHARDS must be 0 or 1 (off or on), got '" + value + "'");
    }

    /**
     * How many shards a batch of {@code rows} on {@code device} is cut into: the thread count, at
     * most one shard per row; 1 (no split) off the CPU, with one thread, inside a worker, while a
     * profiler runs, with OpenBLAS given threads of its own, or when switched off.
     */
    public static int count(Device device, long rows) {
        if (!enabled() || device.isCuda() || IN_WORKER.get() || OpProfiler.running() || Torch.blasThreads() > 1) {
            return 1;
        }
        return (int) Math.max(1, Math.min(threads, rows));
    }

    /** Row ranges [start, start + length) of {@code rows} cut into {@code n} shards, the first ones a row longer. */
    public static long[][] ranges(long rows, int n) {
        long[][] r = new long[n][];
        long start = 0;
        for (int i = 0; i < n; i++) {
            long len = rows / n + (i < rows % n ? 1 : 0);
            r[i] = new long[] {start, len};
            start += len;
        }
        return r;
    }

    /**
     * {@code f} of each shard of {@code x}'s rows, concatenated back along dim 0: {@code f(x)} for a
     * function whose rows do not depend on each other and that draws nothing at random (an
     * inference forward).
     */
    public static Tensor rows(Tensor x, int n, UnaryOperator<Tensor> f) {
        long[][] r = ranges(x.size(0), n);
        List<Tensor> parts = map(n, i -> f.apply(x.narrow(0, r[i][0], r[i][1])));
        return torch.cat(new TensorVector(parts.toArray(new Tensor[0])), 0);
    }

    /**
     * {@code f(x)} of an inference forward, its rows as shards ({@link #rows}) when no gradient is
     * recorded (a differentiated forward is the caller's to split, by {@link #backward}) and
     * {@link #count} allows it. {@code f} must treat rows independently and draw nothing at random.
     */
    public static Tensor inferenceRows(Device device, Tensor x, UnaryOperator<Tensor> f) {
        int n = org.bytedeco.pytorch.GradMode.is_enabled() ? 1 : count(device, x.size(0));
        return n == 1 ? f.apply(x) : rows(x, n, f);
    }

    /** What one shard's backward starts from: its loss (already weighted by its share of the batch) and what else it measured. */
    public record Loss<R>(Tensor loss, R result) {}

    /**
     * Each shard's loss differentiated on its own worker, for {@code params}: the gradients are
     * summed in shard order and added to each parameter's {@code .grad} (set when it has none), as
     * one backward of the summed loss would, to float rounding, and identically on every run (each
     * shard's gradients are kept apart, so the order the workers finish in does not matter).
     * Returns each shard's result, in order.
     */
    public static <R> List<R> backward(Collection<Tensor> params, int n, IntFunction<Loss<R>> lossOf) {
        List<Tensor> inputs = new ArrayList<>();
        for (Tensor p : params) {
            if (p.requires_grad()) { // a frozen tensor gets no gradient, as in one backward
                inputs.add(p);
            }
        }
        List<Shard<R>> shards = map(n, i -> {
            Loss<R> l = lossOf.apply(i);
            TensorVector grads = torch.grad(new TensorVector(l.loss()), new TensorVector(inputs.toArray(new Tensor[0])),
                    new TensorVector(), new org.bytedeco.pytorch.BoolOptional(false), false, true);
            Tensor[] g = new Tensor[inputs.size()];
            for (int k = 0; k < g.length; k++) {
                g[k] = new Tensor(grads.get(k)); // a handle of its own: get() points into the vector, freed with the scope
                g[k].retainReference();
            }
            return new Shard<>(g, l.result());
        });
        try (PointerScope scope = new PointerScope(); NoGradGuard ng = new NoGradGuard()) {
            for (int k = 0; k < inputs.size(); k++) {
                Tensor sum = null;
                for (Shard<R> s : shards) {
                    Tensor g = s.grads[k];
                    if (g.defined()) {
                        sum = sum == null ? g : sum.add(g);
                    }
                }
                if (sum != null) {
                    Tensor p = inputs.get(k);
                    Tensor have = p.grad();
                    if (have.defined()) {
                        have.add_(sum);
                    } else {
                        p.mutable_grad().put(sum.detach().clone());
                    }
                }
            }
        } finally {
            for (Shard<R> s : shards) {
                for (Tensor g : s.grads) {
                    g.releaseReference();
                }
            }
        }
        List<R> out = new ArrayList<>();
        shards.forEach(s -> out.add(s.result));
        return out;
    }

    private record Shard<R>(Tensor[] grads, R result) {}

    /**
     * {@code body(i)} for shards 0 … n−1, each on a worker with the caller's libtorch thread state;
     * results in shard order. Tensors among the results (or inside a {@link Shard}) outlive the
     * worker's scope: a {@link Pointer} result moves to the caller's innermost scope. A failure in
     * any shard is rethrown here once every shard has finished. Inside a worker the shards run one
     * after the other on it (a worker waiting on the pool it belongs to could wait for ever).
     */
    public static <T> List<T> map(int n, IntFunction<T> body) {
        if (n == 1 || IN_WORKER.get()) {
            List<T> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(body.apply(i));
            }
            return out;
        }
        ExecutorService workers = pool(n);
        ThreadLocalState state = new ThreadLocalState(); // captures grad mode, autocast, inference mode
        List<Future<T>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                final int shard = i;
                futures.add(workers.submit(() -> runShard(state, shard, body)));
            }
            List<T> out = new ArrayList<>();
            Throwable failure = null;
            for (Future<T> f : futures) {
                try {
                    out.add(uninterruptibly(f));
                } catch (ExecutionException e) {
                    failure = failure == null ? e.getCause() : failure;
                    out.add(null);
                }
            }
            if (failure != null) {
                out.forEach(ThreadShards::release);
                if (failure instanceof RuntimeException re) {
                    throw re;
                }
                if (failure instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(failure);
            }
            out.forEach(ThreadShards::adopt);
            return out;
        } finally {
            state.close();
        }
    }

    /**
     * One shard on its worker. Autocast's cache of down-cast weights is off there: libtorch keeps
     * one cache for the whole process, so shards running at once would take each other's casts
     * (with the autograd nodes that made them) and each shard's exit from autocast empties it under
     * the others. Measured: 7 of 40 fp16 training runs of a toy model ended on other bits with the
     * cache, none of 40 without (ThreadShardedTrainingTest).
     */
    private static <T> T runShard(ThreadLocalState state, int shard, IntFunction<T> body) {
        RUN.incrementAndGet();
        try (ThreadLocalStateGuard g = new ThreadLocalStateGuard(state); PointerScope scope = new PointerScope()) {
            boolean cache = torch.is_autocast_cache_enabled();
            torch.set_autocast_cache_enabled(false);
            try {
                T out = body.apply(shard);
                if (out instanceof Pointer p) {
                    p.retainReference();
                }
                return out;
            } finally {
                torch.set_autocast_cache_enabled(cache);
            }
        }
    }

    private static void adopt(Object result) {
        if (result instanceof Pointer p) {
            Scopes.adopt(p);
        }
    }

    private static void release(Object result) {
        if (result instanceof Pointer p) {
            p.releaseReference();
        } else if (result instanceof Shard<?> s) {
            for (Tensor g : s.grads) {
                g.releaseReference();
            }
        }
    }

    /** Waits for {@code f} even when interrupted (its shard shares tensors with the caller), then re-raises the interrupt. */
    private static <T> T uninterruptibly(Future<T> f) throws ExecutionException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The workers, started and set up before the first shard runs. libtorch keeps one process-wide
     * thread count that a thread copies into its own OpenMP setting at its first parallel
     * operation: a worker makes that copy first and then lowers its own to one; the caller then
     * puts the process-wide count back, so threads set up later still get every thread. A pool
     * outgrown by more threads is left to finish what it runs (its idle daemon threads stay).
     */
    private static synchronized ExecutorService pool(int n) {
        if (pool == null || poolSize < n) {
            java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(n);
            java.util.concurrent.ThreadPoolExecutor p = (java.util.concurrent.ThreadPoolExecutor) Executors.newFixedThreadPool(n, r -> {
                Thread t = new Thread(() -> {
                    IN_WORKER.set(true);
                    torch.get_num_threads(); // the first-use copy of the process-wide count, done now
                    torch.set_num_threads(1); // this thread's own: one, the shard is its parallelism
                    ready.countDown();
                    r.run();
                }, "crate4j-shard");
                t.setDaemon(true);
                return t;
            });
            p.prestartAllCoreThreads();
            boolean interrupted = false;
            while (true) {
                try {
                    ready.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the count must not be put back before every worker lowered its own
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            torch.set_num_threads(threads);
            pool = p;
            poolSize = n;
        }
        return pool;
    }
}

package org.crate4j.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.crate4j.CrateException;

/**
 * Batches a dataset through a transform on a pool of worker threads, in order, with bounded prefetch.
 * Sample order and every augmentation are pure functions of (seed, epoch, sample position), so results do
 * not depend on the worker count and a run resumed with {@link #skipBatches} reproduces an uninterrupted one.
 * Sharding follows torch's DistributedSampler. An entry that cannot be decoded is recorded
 * ({@link #badFiles}) and then substituted, skipped or fatal, as {@link #onBadFile} says.
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {
    /** What the loader does with an entry that cannot be decoded; it is recorded in every case. */
    public enum OnBadFile {
        /** Another entry, drawn with the sample's own RNG, takes its place: batches stay full (training). */
        SUBSTITUTE,
        /**
         * It is left out: its batch is smaller, and a batch left with nothing is not returned
         * (evaluation, which must score each readable image once and no other).
         */
        SKIP,
        /** The first one stops the iteration with its message (strict data checking). */
        FAIL
    }

    private static final int MAX_SUBSTITUTIONS = 100;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final Dataset dataset;
    private final Transform transform;
    private final int batchSize, workers, prefetch;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Map<Integer, String> badFiles = new ConcurrentHashMap<>();
    private OnBadFile onBadFile = OnBadFile.SKIP;
    private int rank = 0, worldSize = 1, epoch = 0, pendingSkip = 0;
    private ExecutorService pool;
    private EpochIterator current;
    private volatile boolean closed;

    /**
     * @param workers         decoding threads; 0 decodes on the caller's thread
     * @param prefetchBatches batches prepared ahead of the consumer (at least {@code workers} are kept in
     *                        flight so every worker has work)
     */
    public DataLoader(Dataset ds, Transform transform, int batchSize, boolean shuffle, boolean dropLast, long seed,
                      int workers, int prefetchBatches) {
        if (batchSize <= 0 || workers < 0) {
            throw new IllegalArgumentException("batchSize must be > 0 and workers >= 0, got " + batchSize + ", " + workers);
        }
        if (ds.size() == 0) {
            throw new CrateException("dataset is empty; check the data directory");
        }
        this.dataset = ds;
        this.transform = transform == null ? Transforms.identity() : transform;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
        this.workers = workers;
        this.prefetch = Math.max(Math.max(1, prefetchBatches), workers);
    }

    /** Restricts this loader to one rank's share of each epoch; returns this. */
    public DataLoader shard(int rank, int worldSize) {
        if (worldSize <= 0 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("need 0 <= rank < worldSize, got rank " + rank + " of " + worldSize);
        }
        this.rank = rank;
        this.worldSize = worldSize;
        return this;
    }

    /** Sets what happens to an entry that cannot be decoded (default {@link OnBadFile#SKIP}); returns this. */
    public DataLoader onBadFile(OnBadFile policy) {
        this.onBadFile = Objects.requireNonNull(policy);
        return this;
    }

    public OnBadFile onBadFile() {
        return onBadFile;
    }

    /** Selects the epoch whose permutation and augmentations the next iteration uses. */
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    public int epoch() {
        return epoch;
    }

    /** Makes the next iteration start at batch n of the epoch (resume); later iterations are whole. */
    public DataLoader skipBatches(int n) {
        if (n < 0 || n > batchesPerEpoch()) {
            throw new IllegalArgumentException("can skip 0.." + batchesPerEpoch() + " batches, got " + n);
        }
        this.pendingSkip = n;
        return this;
    }

    /** Samples this rank sees per epoch (DistributedSampler's num_samples). */
    public int samplesPerEpoch() {
        int n = dataset.size();
        return dropLast ? n / worldSize : (n + worldSize - 1) / worldSize;
    }

    public int batchesPerEpoch() {
        int s = samplesPerEpoch();
        return dropLast ? s / batchSize : (s + batchSize - 1) / batchSize;
    }

    public Dataset dataset() {
        return dataset;
    }

    /**
     * The distinct entries that could not be decoded in every iteration so far (a known bad entry is
     * not read again), the first few named. Prefetching may have met some the consumer never took.
     */
    public BadFiles badFiles() {
        return badFiles(badIndices());
    }

    /** The dataset indices of {@link #badFiles}, ascending. */
    public int[] badIndices() {
        return badFiles.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /**
     * A report of the given bad entries, such as every process's gathered: the first few in dataset
     * order are named with their problem (one another process met is read here to say what it is).
     */
    public BadFiles badFiles(int[] indices) {
        int[] sorted = Arrays.stream(indices).distinct().sorted().toArray();
        List<BadFiles.Entry> first = new ArrayList<>();
        for (int i = 0; i < Math.min(BadFiles.NAMED, sorted.length); i++) {
            first.add(new BadFiles.Entry(sorted[i], dataset.source(sorted[i]), problem(sorted[i])));
        }
        return new BadFiles(sorted.length, first);
    }

    private String problem(int index) {
        String known = badFiles.get(index);
        if (known != null) {
            return known;
        }
        try {
            dataset.image(index);
            return dataset.source(index) + " could not be decoded by another process";
        } catch (CrateException e) {
            return e.getMessage();
        }
    }

    /**
     * One epoch (the current one), starting after any pending skip. Starting a new iteration abandons the
     * previous one, so its queued batches do not delay this one.
     */
    @Override
    public Iterator<Batch> iterator() {
        if (closed) {
            throw new IllegalStateException("DataLoader is closed");
        }
        int start = pendingSkip;
        pendingSkip = 0;
        if (workers > 0 && pool == null) {
            pool = Executors.newFixedThreadPool(workers, r -> {
                Thread t = new Thread(r, "crate4j-data-" + THREAD_IDS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
        if (current != null) {
            current.abandon();
        }
        current = new EpochIterator(epochOrder(epoch), epoch, rank, worldSize, start);
        return current;
    }

    /** Stops the worker threads; in-flight batches are abandoned. */
    @Override
    public void close() {
        closed = true;
        if (pool != null) {
            // cancelling the never-started tasks wakes a consumer blocked on them in another thread
            for (Runnable queued : pool.shutdownNow()) {
                if (queued instanceof Future<?> f) {
                    f.cancel(false);
                }
            }
        }
    }

    /** The epoch's global sample order: a permutation padded by wrapping (or truncated) to whole ranks. */
    int[] epochOrder(int epoch) {
        int n = dataset.size();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(Seeds.mix(seed + epoch, Seeds.PERMUTATION));
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        int total = samplesPerEpoch() * worldSize;
        int[] order = new int[total];
        for (int p = 0; p < total; p++) {
            order[p] = perm[p % n];
        }
        return order;
    }

    private record Decoded(int index, Image image) {}

    private final class EpochIterator implements Iterator<Batch> {
        private final int[] order;
        private final int epoch, rank, world, samples, end;
        private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
        private int next, submitted;
        private boolean abandoned;
        /** The next non-empty batch, fetched by hasNext(), and the time spent waiting for it. */
        private Batch ready;
        private long readyWait;

        EpochIterator(int[] order, int epoch, int rank, int world, int start) {
            this.order = order;
            this.epoch = epoch;
            this.rank = rank;
            this.world = world;
            this.samples = samplesPerEpoch();
            this.end = batchesPerEpoch();
            this.next = start;
            this.submitted = start;
        }

        /** Fetches ahead so that a batch whose every entry was skipped is never returned. */
        @Override
        public boolean hasNext() {
            while (ready == null && next < end) {
                requireCurrent();
                long t0 = System.nanoTime();
                Batch b;
                if (pool == null) {
                    b = build(next);
                } else {
                    fill();
                    b = await(inFlight.poll());
                }
                readyWait += System.nanoTime() - t0;
                next++;
                if (pool != null) {
                    fill();
                }
                ready = b.size() > 0 ? b : null;
            }
            return ready != null;
        }

        @Override
        public Batch next() {
            if (ready == null) {
                requireCurrent();
            }
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Batch b = ready;
            long waited = readyWait;
            ready = null;
            readyWait = 0;
            return new Batch(b.images(), b.labels(), b.size(), b.channels(), b.height(), b.width(), waited, b.indices());
        }

        private void requireCurrent() {
            if (closed || abandoned) {
                throw new IllegalStateException(closed ? "DataLoader is closed"
                        : "this epoch iterator was superseded by a newer iterator() call");
            }
        }

        void abandon() {
            abandoned = true;
            inFlight.forEach(f -> f.cancel(false));
            inFlight.clear();
        }

        private void fill() {
            while (submitted < end && inFlight.size() < prefetch) {
                int batchIndex = submitted++;
                inFlight.add(pool.submit(() -> build(batchIndex)));
            }
        }

        private Batch await(Future<Batch> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CrateException("interrupted while waiting for a data batch", e);
            } catch (CancellationException e) {
                throw new IllegalStateException("DataLoader is closed", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new CrateException("data worker failed: " + e.getCause(), e.getCause());
            }
        }

        private Batch build(int batchIndex) {
            int from = batchIndex * batchSize, size = Math.min(batchSize, samples - from);
            int[] labels = new int[size];
            int[] indices = new int[size];
            float[] images = null;
            int c = 0, h = 0, w = 0, kept = 0;
            for (int k = 0; k < size; k++) {
                int position = rank + (from + k) * world;
                SplittableRandom rng = new SplittableRandom(Seeds.sample(seed, epoch, position));
                Decoded sample = decode(order[position], rng);
                if (sample == null) {
                    continue; // skipped
                }
                int index = sample.index();
                FloatImage img = transform.apply(FloatImage.fromImage(sample.image()), rng);
                if (images == null) {
                    c = img.channels;
                    h = img.height;
                    w = img.width;
                    images = new float[Math.multiplyExact(size, img.data.length)];
                } else if (img.channels != c || img.height != h || img.width != w) {
                    throw new CrateException("sample " + index + " transforms to " + img + " but the batch holds "
                            + c + "x" + h + "x" + w + "; end the transform with a fixed-size resize/crop");
                }
                System.arraycopy(img.data, 0, images, kept * img.data.length, img.data.length);
                indices[kept] = order[position];
                labels[kept++] = dataset.label(index);
            }
            if (kept == 0) {
                return new Batch(new float[0], new int[0], 0, 0, 0, 0, 0, new int[0]);
            }
            if (kept < size) {
                images = Arrays.copyOf(images, kept * c * h * w);
                labels = Arrays.copyOf(labels, kept);
                indices = Arrays.copyOf(indices, kept);
            }
            return new Batch(images, labels, kept, c, h, w, 0, indices);
        }

        /**
         * The entry itself, or if it cannot be decoded: a random substitute (from the sample's own
         * RNG), null (skipped) or the error, as {@link #onBadFile} says.
         */
        private Decoded decode(int index, SplittableRandom rng) {
            for (int attempt = 0; attempt < MAX_SUBSTITUTIONS; attempt++) {
                String problem = badFiles.get(index);
                if (problem == null) {
                    try {
                        return new Decoded(index, dataset.image(index));
                    } catch (CrateException e) {
                        problem = e.getMessage();
                        badFiles.putIfAbsent(index, problem);
                    }
                }
                switch (onBadFile) {
                    case FAIL -> throw new CrateException(problem + " (--strict-data stops at the first bad file)");
                    case SKIP -> {
                        return null;
                    }
                    case SUBSTITUTE -> index = rng.nextInt(dataset.size());
                }
            }
            throw new CrateException("no decodable image after " + MAX_SUBSTITUTIONS + " attempts ("
                    + badFiles.size() + " bad files so far, e.g. " + badFiles.values().iterator().next()
                    + "); check the dataset");
        }
    }
}

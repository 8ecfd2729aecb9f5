package org.crate4j.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
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
 * Sharding follows torch's DistributedSampler.
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {
    private static final int MAX_SUBSTITUTIONS = 100;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final Dataset dataset;
    private final Transform transform;
    private final int batchSize, workers, prefetch;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Map<Integer, String> badFiles = new ConcurrentHashMap<>();
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

    /** Distinct dataset entries that failed to decode and were replaced by other samples. */
    public long skippedFiles() {
        return badFiles.size();
    }

    /** The error message of each skipped entry. */
    public List<String> skippedFileErrors() {
        return Collections.unmodifiableList(new ArrayList<>(badFiles.values()));
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

        @Override
        public boolean hasNext() {
            return next < end;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (closed || abandoned) {
                throw new IllegalStateException(closed ? "DataLoader is closed"
                        : "this epoch iterator was superseded by a newer iterator() call");
            }
            long t0 = System.nanoTime();
            Batch b;
            if (pool == null) {
                b = build(next);
            } else {
                fill();
                b = await(inFlight.poll());
            }
            long waited = System.nanoTime() - t0;
            next++;
            if (pool != null) {
                fill();
            }
            return new Batch(b.images(), b.labels(), b.size(), b.channels(), b.height(), b.width(), waited, b.indices());
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
            int c = 0, h = 0, w = 0;
            for (int k = 0; k < size; k++) {
                int position = rank + (from + k) * world;
                indices[k] = order[position];
                SplittableRandom rng = new SplittableRandom(Seeds.sample(seed, epoch, position));
                Decoded sample = decode(order[position], rng);
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
                System.arraycopy(img.data, 0, images, k * img.data.length, img.data.length);
                labels[k] = dataset.label(index);
            }
            return new Batch(images, labels, size, c, h, w, 0, indices);
        }

        /** The entry itself, or a random substitute (from the sample's own RNG) if it cannot be decoded. */
        private Decoded decode(int index, SplittableRandom rng) {
            for (int attempt = 0; attempt < MAX_SUBSTITUTIONS; attempt++) {
                if (!badFiles.containsKey(index)) {
                    try {
                        return new Decoded(index, dataset.image(index));
                    } catch (CrateException e) {
                        badFiles.putIfAbsent(index, e.getMessage());
                    }
                }
                index = rng.nextInt(dataset.size());
            }
            throw new CrateException("no decodable image after " + MAX_SUBSTITUTIONS + " attempts ("
                    + badFiles.size() + " bad files so far, e.g. " + badFiles.values().iterator().next()
                    + "); check the dataset");
        }
    }
}

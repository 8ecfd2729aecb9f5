package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;

class DataIntegrityTest {
    /** Processes simulated by threads: {@link #sum} adds every thread's values, as an allreduce does. */
    static final class ThreadSync {
        private final int world;
        private final CyclicBarrier barrier;
        private final double[][] slots;
        final AtomicInteger sums = new AtomicInteger();

        ThreadSync(int world) {
            this.world = world;
            this.barrier = new CyclicBarrier(world);
            this.slots = new double[world][];
        }

        GradientSync rank(int rank) {
            return new GradientSync() {
                public int rank() { return rank; }
                public int worldSize() { return world; }
                public void averageGradients(Collection<Tensor> params) {}
                public void broadcast(Collection<Tensor> params) {}

                public double[] sum(double[] values) {
                    sums.incrementAndGet();
                    try {
                        slots[rank] = values.clone();
                        barrier.await();
                        double[] total = new double[values.length];
                        for (double[] s : slots) {
                            for (int i = 0; i < total.length; i++) {
                                total[i] += s[i];
                            }
                        }
                        barrier.await(); // nobody overwrites a slot before everyone has read it
                        return total;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
        }
    }

    @Test
    void gatherGivesEveryRankTheDistinctBadFilesOfAll() throws Exception {
        ThreadSync job = new ThreadSync(3);
        int[][] mine = {{4, 17}, {}, {0, 4, 9}}; // index 4 met on two ranks (padding, or a substitute drawn twice)
        CompletableFuture<?>[] ranks = new CompletableFuture<?>[3];
        int[][] seen = new int[3][];
        ExecutorService threads = Executors.newFixedThreadPool(3); // one each: they wait for one another
        try {
            for (int r = 0; r < 3; r++) {
                int rank = r;
                ranks[r] = CompletableFuture.runAsync(() -> seen[rank] = DataIntegrity.gather(mine[rank], job.rank(rank)), threads);
            }
            CompletableFuture.allOf(ranks).get();
        } finally {
            threads.shutdown();
        }
        for (int[] s : seen) {
            assertArrayEquals(new int[] {0, 4, 9, 17}, s);
        }
    }

    @Test
    void gatherOfNothingSkipsTheSecondSumOnEveryRank() throws Exception {
        ThreadSync job = new ThreadSync(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            CompletableFuture<int[]> a = CompletableFuture.supplyAsync(() -> DataIntegrity.gather(new int[0], job.rank(0)), threads);
            CompletableFuture<int[]> b = CompletableFuture.supplyAsync(() -> DataIntegrity.gather(new int[0], job.rank(1)), threads);
            assertArrayEquals(new int[0], a.get(30, TimeUnit.SECONDS));
            assertArrayEquals(new int[0], b.get(30, TimeUnit.SECONDS));
            assertEquals(2, job.sums.get(), "one sum per rank: the counts");
        } finally {
            threads.shutdown();
        }
    }
}

package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** n 12×10 RGB images with distinct content; label = index so batches reveal the sample order. */
    static Dataset synthetic(int n) {
        int h = 12, w = 10;
        byte[] px = new byte[n * h * w * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 31 + i / 360);
        }
        List<String> classes = IntStream.range(0, n).mapToObj(Integer::toString).toList();
        return new InMemoryDataset(h, w, 3, px, IntStream.range(0, n).toArray(), classes);
    }

    static final Transform AUGMENT = Transforms.compose(
            Transforms.randomResizedCrop(8, 8, 0.3, 1.0, 0.75, 1.33), Transforms.horizontalFlip(0.5),
            Transforms.randAugment(2, 9));

    static List<Batch> epoch(DataLoader loader) {
        List<Batch> out = new ArrayList<>();
        loader.forEach(out::add);
        return out;
    }

    static int[] labels(List<Batch> batches) {
        return batches.stream().flatMapToInt(b -> Arrays.stream(b.labels())).toArray();
    }

    static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).labels(), b.get(i).labels(), "labels of batch " + i);
            assertArrayEquals(a.get(i).images(), b.get(i).images(), "pixels of batch " + i);
        }
    }

    @Test
    void resultsDoNotDependOnWorkerCount() {
        Dataset ds = synthetic(23);
        List<List<Batch>> runs = new ArrayList<>();
        for (int workers : new int[] {0, 1, 3}) {
            try (DataLoader loader = new DataLoader(ds, AUGMENT, 5, true, false, 123, workers, 2)) {
                loader.setEpoch(4);
                runs.add(epoch(loader));
            }
        }
        List<Batch> first = runs.get(0);
        assertEquals(5, first.size());
        assertEquals(3, first.get(4).size());
        assertEquals(3 * 8 * 8 * 3, first.get(4).images().length);
        assertEquals(Set.copyOf(IntStream.range(0, 23).boxed().toList()),
                Set.copyOf(Arrays.stream(labels(first)).boxed().toList()));
        assertSameBatches(first, runs.get(1));
        assertSameBatches(first, runs.get(2));
        assertTrue(first.stream().allMatch(b -> b.dataWaitNanos() >= 0));
    }

    @Test
    void shardsAreDisjointAndCoverTheEpoch() {
        Dataset ds = synthetic(10);
        List<Integer> all = new ArrayList<>();
        for (int rank = 0; rank < 3; rank++) {
            try (DataLoader loader = new DataLoader(ds, null, 2, true, false, 5, 1, 2).shard(rank, 3)) {
                loader.setEpoch(2);
                assertEquals(4, loader.samplesPerEpoch());
                assertEquals(2, loader.batchesPerEpoch());
                Arrays.stream(labels(epoch(loader))).forEach(all::add);
            }
        }
        assertEquals(12, all.size(), "padded to a multiple of the world size");
        assertEquals(10, new HashSet<>(all).size(), "every sample is seen");

        Set<Integer> dropped = new HashSet<>();
        int total = 0;
        for (int rank = 0; rank < 3; rank++) {
            try (DataLoader loader = new DataLoader(ds, null, 1, true, true, 5, 0, 1).shard(rank, 3)) {
                int[] l = labels(epoch(loader));
                assertEquals(3, l.length);
                total += l.length;
                Arrays.stream(l).forEach(dropped::add);
            }
        }
        assertEquals(9, total);
        assertEquals(9, dropped.size(), "with dropLast ranks are disjoint");
    }

    @Test
    void epochsReshuffleDeterministically() {
        Dataset ds = synthetic(20);
        try (DataLoader loader = new DataLoader(ds, AUGMENT, 4, true, true, 9, 2, 4)) {
            loader.setEpoch(0);
            List<Batch> e0 = epoch(loader);
            List<Batch> again = epoch(loader);
            loader.setEpoch(1);
            List<Batch> e1 = epoch(loader);
            assertSameBatches(e0, again);
            assertFalse(Arrays.equals(labels(e0), labels(e1)), "epoch 1 must use a different order");
        }
        try (DataLoader plain = new DataLoader(ds, null, 4, false, true, 9, 0, 1)) {
            assertArrayEquals(IntStream.range(0, 20).toArray(), labels(epoch(plain)));
        }
    }

    @Test
    void skipBatchesEqualsDroppingTheFirstBatches() {
        Dataset ds = synthetic(17);
        List<Batch> full, resumed;
        try (DataLoader loader = new DataLoader(ds, AUGMENT, 3, true, false, 77, 2, 2)) {
            loader.setEpoch(3);
            full = epoch(loader);
        }
        try (DataLoader loader = new DataLoader(ds, AUGMENT, 3, true, false, 77, 1, 3)) {
            loader.setEpoch(3);
            loader.skipBatches(4);
            resumed = epoch(loader);
            assertEquals(full.size(), epoch(loader).size(), "the skip applies to one iteration only");
        }
        assertSameBatches(full.subList(4, full.size()), resumed);
    }

    @Test
    void newIterationSupersedesTheOldOne() {
        try (DataLoader loader = new DataLoader(synthetic(12), AUGMENT, 2, true, false, 3, 2, 4)) {
            java.util.Iterator<Batch> old = loader.iterator();
            Batch first = old.next();
            java.util.Iterator<Batch> fresh = loader.iterator();
            assertThrows(IllegalStateException.class, old::next);
            Batch again = fresh.next();
            assertArrayEquals(first.images(), again.images());
            int count = 1;
            while (fresh.hasNext()) {
                fresh.next();
                count++;
            }
            assertEquals(6, count);
        }
    }

    @Test
    void closeStopsWorkerThreads() throws InterruptedException {
        DataLoader loader = new DataLoader(synthetic(40), AUGMENT, 2, true, false, 1, 3, 6);
        loader.iterator().next();
        loader.close();
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline && workerThreadsAlive() > 0) {
            Thread.sleep(20);
        }
        assertEquals(0, workerThreadsAlive());
        assertThrows(IllegalStateException.class, loader::iterator);
    }

    private static long workerThreadsAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("crate4j-data-") && t.isAlive()).count();
    }
}

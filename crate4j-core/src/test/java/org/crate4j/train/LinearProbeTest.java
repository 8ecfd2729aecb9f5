package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearProbeTest {
    /** Three Gaussian clusters in 12 dimensions, centres 4 standard deviations apart, on shifted and scaled axes. */
    static ProbeFeatures blobs(int n, long seed) {
        Random r = new Random(seed);
        int d = 12;
        float[] v = new float[n * d];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int j = 0; j < d; j++) {
                double centre = j % 3 == labels[i] ? 4 : 0;
                v[i * d + j] = (float) ((centre + r.nextGaussian()) * (1 + j) + 10 * j); // the probe standardises
            }
        }
        return new ProbeFeatures(v, n, d, labels);
    }

    @Test
    void separatesLinearlySeparableClusters() {
        LinearProbe.Result r = LinearProbe.fit(blobs(600, 1), blobs(300, 2), 3, new LinearProbe.Settings(10, 64, 1e-2, 1e-4, 0));
        assertTrue(r.top1() > 0.9, "held-out top-1 " + r.top1());
        assertTrue(r.trainTop1() > 0.9, "train top-1 " + r.trainTop1());
    }
}

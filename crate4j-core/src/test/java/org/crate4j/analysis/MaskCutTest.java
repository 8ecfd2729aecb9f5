package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;

class MaskCutTest {
    static final int GH = 10, GW = 10, D = 8;

    /** Background along e0; object A (rows 1–3, cols 1–3) along e1; object B (rows 5–8, cols 5–8) along e1 + 2·e2. */
    static int clusterOf(int y, int x) {
        if (y >= 1 && y <= 3 && x >= 1 && x <= 3) {
            return 1;
        }
        return y >= 5 && y <= 8 && x >= 5 && x <= 8 ? 2 : 0;
    }

    @Test
    void recoversTwoPlantedObjectsAndThenStops() {
        Random r = new Random(5);
        float[] f = new float[GH * GW * D];
        for (int y = 0; y < GH; y++) {
            for (int x = 0; x < GW; x++) {
                int i = y * GW + x, c = clusterOf(y, x);
                for (int k = 0; k < D; k++) {
                    f[i * D + k] = (float) (0.1 * r.nextGaussian());
                }
                f[i * D + (c == 0 ? 0 : 1)] += 1f;
                if (c == 2) {
                    f[i * D + 2] += 2f;
                }
            }
        }
        List<MaskCut.Found> found = MaskCut.discover(Torch.fromFloats(f, GH * GW, D), GH, GW, 2, MaskCut.TAU);
        assertEquals(2, found.size());
        boolean[] a = planted(1), b = planted(2);
        boolean firstIsA = found.get(0).patches()[GW + 1];
        assertArrayEquals(firstIsA ? a : b, found.get(0).patches(), "first object is one planted cluster, exactly");
        assertArrayEquals(firstIsA ? b : a, found.get(1).patches(), "second object is the other");
        for (MaskCut.Found o : found) {
            assertTrue(o.score() > 0.5, "a clean cut scores high: " + o.score());
            assertTrue(o.patches()[o.seed()], "the seed lies in its object");
        }
        assertArrayEquals(new int[] {1, 1, 4, 4}, PatchGrid.box(a, GH, GW));
    }

    @Test
    void generalisedEigenvectorSolvesTheGeneralisedProblem() {
        Random r = new Random(9);
        int n = 12;
        float[] f = new float[n * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian();
        }
        var w = MaskCut.affinity(MaskCut.cosineSimilarity(Torch.fromFloats(f, n, 4)), new boolean[n], 0.0);
        double[] wv = Tensors.toDoubles(w);
        double[] lambda = new double[1];
        double[] x = MaskCut.secondEigenvector(w, lambda);
        // (D − W)x = λ·D·x, entry by entry, in plain Java
        for (int i = 0; i < n; i++) {
            double d = 0, wx = 0;
            for (int j = 0; j < n; j++) {
                d += wv[i * n + j];
                wx += wv[i * n + j] * x[j];
            }
            assertEquals(lambda[0] * d * x[i], d * x[i] - wx, 1e-9);
        }
        assertTrue(lambda[0] > 1e-6, "the trivial constant solution (λ = 0) is not the one returned");
    }

    private static boolean[] planted(int c) {
        boolean[] m = new boolean[GH * GW];
        for (int i = 0; i < m.length; i++) {
            m[i] = clusterOf(i / GW, i % GW) == c;
        }
        return m;
    }
}

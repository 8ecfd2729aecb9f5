package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;

class CodingRateTest {

    @Test
    void equalsTheNByNFormulaComputedDirectly() {
        for (int[] s : new int[][] {{3, 2, 7, 4}, {2, 3, 3, 5}}) {
            int b = s[0], h = s[1], n = s[2], k = s[3];
            float[] u = random(b * h * n * k, 11 + n);
            Tensor t = Torch.fromFloats(u, b, h, n, k);
            double[] got = CodingRate.perImage(t);
            for (int img = 0; img < b; img++) {
                double nByN = 0, kByK = 0;
                for (int head = 0; head < h; head++) {
                    double[][] x = unitRows(u, ((img * h) + head) * n * k, n, k);
                    nByN += 0.5 * Dense.logdetSpd(identityPlus(x, n, k, true), n);
                    kByK += 0.5 * Dense.logdetSpd(identityPlus(x, n, k, false), k);
                }
                assertEquals(nByN, kByK, 1e-10 * Math.abs(nByN), "Sylvester: the k×k form equals the n×n form");
                assertEquals(nByN, got[img], 1e-9 * Math.abs(nByN), "image " + img + " of " + java.util.Arrays.toString(s));
            }
        }
    }

    @Test
    void isScaleInvariantPerToken() {
        float[] u = random(2 * 2 * 5 * 3, 3);
        float[] scaled = u.clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= 1 + (i / 3) % 4; // every token (3 values) gets its own positive scale
        }
        assertArrayEquals(CodingRate.perImage(Torch.fromFloats(u, 2, 2, 5, 3)),
                CodingRate.perImage(Torch.fromFloats(scaled, 2, 2, 5, 3)), 1e-5);
    }

    @Test
    void identicalTokensHaveTheLowestRate() {
        // all n tokens the same unit vector: XᵀX = n·e·eᵀ, so R = ½·log(1 + k/ε) per head
        int n = 6, k = 4;
        float[] u = new float[n * k];
        for (int i = 0; i < n; i++) {
            u[i * k] = 2f;
        }
        assertEquals(0.5 * Math.log(1 + k / CodingRate.EPSILON), CodingRate.perImage(Torch.fromFloats(u, 1, 1, n, k))[0], 1e-9);
    }

    @Test
    void meanStdUsesTheSampleStandardDeviation() {
        MeanStd m = MeanStd.of(new double[] {1, 2, 3, 4});
        assertEquals(2.5, m.mean(), 1e-15);
        assertEquals(Math.sqrt(5.0 / 3.0), m.std(), 1e-15);
        assertEquals(0.0, MeanStd.of(new double[] {7}).std());
    }

    static float[] random(int size, long seed) {
        Random r = new Random(seed);
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static double[][] unitRows(float[] u, int offset, int n, int k) {
        double[][] x = new double[n][k];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int j = 0; j < k; j++) {
                norm += (double) u[offset + i * k + j] * u[offset + i * k + j];
            }
            for (int j = 0; j < k; j++) {
                x[i][j] = u[offset + i * k + j] / Math.sqrt(norm);
            }
        }
        return x;
    }

    /** I + (k/(n·ε))·X·Xᵀ (n×n) or I + (k/(n·ε))·Xᵀ·X (k×k). */
    private static double[] identityPlus(double[][] x, int n, int k, boolean tokens) {
        int m = tokens ? n : k;
        double alpha = k / (n * CodingRate.EPSILON);
        double[] a = new double[m * m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double dot = 0;
                for (int t = 0; t < (tokens ? k : n); t++) {
                    dot += tokens ? x[i][t] * x[j][t] : x[t][i] * x[t][j];
                }
                a[i * m + j] = (i == j ? 1 : 0) + alpha * dot;
            }
        }
        return a;
    }
}

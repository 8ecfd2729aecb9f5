package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.crate4j.engine.Torch;
import org.junit.jupiter.api.Test;

class FeaturePcaTest {
    static final int B = 2, GH = 5, GW = 5, N = GH * GW, D = 7;

    /** Features with a centred 3×3 "object" pushed along one direction, plus anisotropic noise. */
    static float[] features(long seed) {
        Random r = new Random(seed);
        float[] f = new float[B * N * D];
        for (int b = 0; b < B; b++) {
            for (int i = 0; i < N; i++) {
                int y = i / GW, x = i % GW;
                boolean object = y >= 1 && y <= 3 && x >= 1 && x <= 3;
                for (int k = 0; k < D; k++) {
                    f[(b * N + i) * D + k] = (float) (r.nextGaussian() * (0.2 + 0.1 * k) + (object ? 3.0 * (k % 2 == 0 ? 1 : -0.5) : 0));
                }
            }
        }
        return f;
    }

    @Test
    void equalsAnEigenDecompositionOfTheCovarianceUpToSign() {
        float[] f = features(1);
        FeaturePca.Result r = FeaturePca.fit(Torch.fromFloats(f, B, N, D), GH, GW, 4);
        int m = B * N;
        double[] mean = new double[D];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < D; k++) {
                mean[k] += f[i * D + k] / (double) m;
            }
        }
        double[] cov = new double[D * D];
        for (int i = 0; i < m; i++) {
            for (int a = 0; a < D; a++) {
                for (int c = 0; c < D; c++) {
                    cov[a * D + c] += (f[i * D + a] - mean[a]) * (f[i * D + c] - mean[c]) / (m - 1);
                }
            }
        }
        double[] values = new double[D];
        double[] vectors = Dense.jacobiEigen(cov, D, values);
        double trace = 0;
        for (double v : values) {
            trace += v;
        }
        for (int j = 0; j < 4; j++) {
            assertEquals(values[j], r.explainedVariance()[j], 1e-9 * values[0], "variance of component " + j);
            assertEquals(values[j] / trace, r.explainedVarianceRatio()[j], 1e-9, "ratio of component " + j);
            // projections agree up to one sign per component
            double sign = 0;
            for (int i = 0; i < m; i++) {
                double p = 0;
                for (int k = 0; k < D; k++) {
                    p += (f[i * D + k] - mean[k]) * vectors[k * D + j];
                }
                float got = r.projections()[i * 4 + j];
                if (sign == 0 && Math.abs(p) > 1e-3) {
                    sign = Math.signum(got) * Math.signum(p);
                }
                assertEquals(sign * p, got, 1e-4, "projection of patch " + i + " on component " + j);
            }
        }
    }

    @Test
    void firstComponentThresholdedFindsTheCentredObject() {
        FeaturePca.Result r = FeaturePca.fit(Torch.fromFloats(features(2), B, N, D), GH, GW, 4);
        for (int b = 0; b < B; b++) {
            boolean[] fg = r.foreground(b);
            for (int i = 0; i < N; i++) {
                int y = i / GW, x = i % GW;
                assertEquals(y >= 1 && y <= 3 && x >= 1 && x <= 3, fg[i], "image " + b + " patch " + i);
            }
            float[] rgb = r.rgb(b);
            assertEquals(N * 3, rgb.length);
            for (float v : rgb) {
                assertTrue(v >= 0 && v <= 1);
            }
        }
    }

    @Test
    void flippingTheDataDoesNotFlipForeground() {
        float[] f = features(3), g = f.clone();
        for (int i = 0; i < g.length; i++) {
            g[i] = -g[i];
        }
        boolean[] a = FeaturePca.fit(Torch.fromFloats(f, B, N, D), GH, GW, 4).foreground();
        boolean[] b = FeaturePca.fit(Torch.fromFloats(g, B, N, D), GH, GW, 4).foreground();
        assertArrayEquals(a, b);
    }
}

package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.LayerTrace;
import org.junit.jupiter.api.Test;

class AttentionMapsTest {
    static final int SIZE = 16, PATCH = 4, DIM = 16, DEPTH = 3, HEADS = 2;

    @Test
    void classTokenRowsMatchAPlainJavaComputationFromTheParameters() {
        Torch.seed(7);
        Crate model = Crate.create(CrateConfig.of(SIZE, PATCH, 3, 5, DIM, DEPTH, HEADS));
        for (int size : new int[] {SIZE, 24}) { // 24: another input size, position embedding resized
            Tensor images = torch.randn(2, 3, size, size);
            int layer = AttentionMaps.penultimate(DEPTH);
            List<AttentionMaps.Result> maps = AttentionMaps.compute(TracedEncoder.of(model), images, layer);
            List<LayerTrace> trace;
            try (NoGradGuard g = new NoGradGuard()) {
                trace = model.trace(images);
            }
            int g = size / PATCH, n = g * g + 1, k = DIM / HEADS;
            float[] z = Torch.toFloats(trace.get(layer).input());
            String pre = "transformer.layers." + layer + ".0.";
            float[] lnW = Torch.toFloats(model.parameters().get(pre + "norm.weight"));
            float[] lnB = Torch.toFloats(model.parameters().get(pre + "norm.bias"));
            float[] qkv = Torch.toFloats(model.parameters().get(pre + "fn.qkv.weight"));
            for (int b = 0; b < 2; b++) {
                double[][] u = projections(z, b * n * DIM, n, lnW, lnB, qkv);
                HeadMaps got = maps.get(b).patches();
                assertEquals(HEADS, got.heads());
                assertEquals(g, got.height());
                for (int j = 0; j < HEADS; j++) {
                    double[] row = classRow(u, j, k, n);
                    float[] head = got.head(j);
                    for (int p = 0; p < n - 1; p++) {
                        assertEquals(row[p + 1], head[p], 1e-5 * Math.max(1e-3, row[p + 1]), "image " + b + " head " + j + " patch " + p);
                    }
                    float[] up = maps.get(b).pixels().head(j);
                    float[] expected = bilinear(head, g, g, size, size);
                    for (int i = 0; i < up.length; i++) {
                        assertEquals(expected[i], up[i], 1e-6, "upsampled pixel " + i);
                    }
                }
            }
        }
    }

    /**
     * A CRATE-MAE encoder with nothing masked, checked from the pixels up: the stride-P convolution,
     * the class token in front, {@code decoder_pos_embed} added (pos_embed set to something else so
     * that the wrong table shows), then layer 0's class-token attention; and the penultimate layer's
     * from its traced input, as for the classifier.
     */
    @Test
    void maeClassTokenRowsMatchAPlainJavaComputationFromThePixels() {
        Torch.seed(11);
        int channels = 3, g = SIZE / PATCH, n = g * g + 1, k = DIM / HEADS;
        CrateMae mae = CrateMae.create(new MaeConfig(SIZE, PATCH, channels, DIM, DEPTH, HEADS, DIM, 1, HEADS, 0.1, 0.5, 0.75, false));
        Map<String, Tensor> w = new LinkedHashMap<>(mae.stateDict());
        w.put("pos_embed", torch.randn(Torch.shape(w.get("pos_embed"))));
        w.put("cls_token", torch.randn(Torch.shape(w.get("cls_token"))));
        mae = CrateMae.fromTensors(mae.config(), w);
        Tensor images = torch.randn(2, channels, SIZE, SIZE);
        TracedEncoder encoder = TracedEncoder.of(mae);
        assertEquals(DEPTH, encoder.depth());
        assertEquals(SIZE, encoder.imageHeight());
        List<LayerTrace> trace;
        try (NoGradGuard ng = new NoGradGuard()) {
            trace = encoder.trace(images);
        }
        float[] pixels = Torch.toFloats(images), conv = Torch.toFloats(w.get("patch_embed.proj.weight"));
        float[] convBias = Torch.toFloats(w.get("patch_embed.proj.bias")), cls = Torch.toFloats(w.get("cls_token"));
        float[] table = Torch.toFloats(w.get("decoder_pos_embed"));
        for (int layer : new int[] {0, AttentionMaps.penultimate(DEPTH)}) {
            List<AttentionMaps.Result> maps = AttentionMaps.compute(encoder, images, layer);
            float[] traced = Torch.toFloats(trace.get(layer).input());
            String pre = "blocks." + layer + ".layers.0.0.";
            float[] lnW = Torch.toFloats(w.get(pre + "norm.weight")), lnB = Torch.toFloats(w.get(pre + "norm.bias"));
            float[] qkv = Torch.toFloats(w.get(pre + "fn.qkv.weight"));
            for (int b = 0; b < 2; b++) {
                float[] z = layer == 0 ? encoderInput(pixels, b, channels, conv, convBias, cls, table)
                        : java.util.Arrays.copyOfRange(traced, b * n * DIM, (b + 1) * n * DIM);
                double[][] u = projections(z, 0, n, lnW, lnB, qkv);
                for (int j = 0; j < HEADS; j++) {
                    double[] row = classRow(u, j, k, n);
                    float[] head = maps.get(b).patches().head(j);
                    for (int p = 0; p < n - 1; p++) {
                        assertEquals(row[p + 1], head[p], 1e-5 * Math.max(1e-3, row[p + 1]),
                                "layer " + layer + " image " + b + " head " + j + " patch " + p);
                    }
                }
            }
        }
    }

    /** Z₀ of one image: [class token; patches row-major, each Σ conv over (channel, row, column) + bias] + decoder_pos_embed. */
    private static float[] encoderInput(float[] pixels, int b, int channels, float[] conv, float[] bias, float[] cls, float[] table) {
        int g = SIZE / PATCH, n = g * g + 1;
        float[] z = new float[n * DIM];
        for (int c = 0; c < DIM; c++) {
            z[c] = cls[c] + table[c];
        }
        for (int r = 0; r < g; r++) {
            for (int col = 0; col < g; col++) {
                int t = 1 + r * g + col;
                for (int o = 0; o < DIM; o++) {
                    double s = bias[o];
                    for (int ch = 0; ch < channels; ch++) {
                        for (int i = 0; i < PATCH; i++) {
                            for (int jj = 0; jj < PATCH; jj++) {
                                s += conv[((o * channels + ch) * PATCH + i) * PATCH + jj]
                                        * pixels[((b * channels + ch) * SIZE + r * PATCH + i) * SIZE + col * PATCH + jj];
                            }
                        }
                    }
                    z[t * DIM + o] = (float) (s + table[t * DIM + o]);
                }
            }
        }
        return z;
    }

    /** U = LN₁(Z)·Wᵀ for one image: [token][h·k]. */
    private static double[][] projections(float[] z, int offset, int n, float[] w, float[] bias, float[] qkv) {
        double[][] u = new double[n][DIM];
        for (int t = 0; t < n; t++) {
            double mean = 0, var = 0;
            for (int c = 0; c < DIM; c++) {
                mean += z[offset + t * DIM + c] / (double) DIM;
            }
            for (int c = 0; c < DIM; c++) {
                double d = z[offset + t * DIM + c] - mean;
                var += d * d / DIM;
            }
            double[] ln = new double[DIM];
            for (int c = 0; c < DIM; c++) {
                ln[c] = (z[offset + t * DIM + c] - mean) / Math.sqrt(var + 1e-5) * w[c] + bias[c];
            }
            for (int o = 0; o < DIM; o++) {
                double s = 0;
                for (int c = 0; c < DIM; c++) {
                    s += ln[c] * qkv[o * DIM + c];
                }
                u[t][o] = s;
            }
        }
        return u;
    }

    /** softmax over j of U_0·U_jᵀ/√k for head h. */
    private static double[] classRow(double[][] u, int head, int k, int n) {
        double[] logits = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < n; t++) {
            double s = 0;
            for (int c = 0; c < k; c++) {
                s += u[0][head * k + c] * u[t][head * k + c];
            }
            logits[t] = s / Math.sqrt(k);
            max = Math.max(max, logits[t]);
        }
        double sum = 0;
        for (int t = 0; t < n; t++) {
            logits[t] = Math.exp(logits[t] - max);
            sum += logits[t];
        }
        for (int t = 0; t < n; t++) {
            logits[t] /= sum;
        }
        return logits;
    }

    /** Bilinear resize with half-pixel centres, clamped at the edges (PyTorch, align_corners = false). */
    static float[] bilinear(float[] in, int ih, int iw, int oh, int ow) {
        float[] out = new float[oh * ow];
        for (int y = 0; y < oh; y++) {
            double sy = Math.max(0, (y + 0.5) * ih / oh - 0.5);
            int y0 = (int) sy, y1 = Math.min(y0 + 1, ih - 1);
            double ly = sy - y0;
            for (int x = 0; x < ow; x++) {
                double sx = Math.max(0, (x + 0.5) * iw / ow - 0.5);
                int x0 = (int) sx, x1 = Math.min(x0 + 1, iw - 1);
                double lx = sx - x0;
                out[y * ow + x] = (float) ((1 - ly) * ((1 - lx) * in[y0 * iw + x0] + lx * in[y0 * iw + x1])
                        + ly * ((1 - lx) * in[y1 * iw + x0] + lx * in[y1 * iw + x1]));
            }
        }
        return out;
    }
}

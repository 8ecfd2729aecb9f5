package org.crate4j.mae;

import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * The fixed 2-D sine-cosine position table of the MAE recipe (docs/architecture.md §2), with a zero row first for
 * the class token. For the patch at (row r, column c) the first d/2 channels encode c and the last
 * d/2 encode r; each half is [sin(p·ω₀…ω_{m−1}), cos(p·ω₀…ω_{m−1})] with m = d/4 and
 * ω_i = 10000^(−i/m). Computed in double, stored as float, as the reference does.
 */
public final class SinCosTable {
    private SinCosTable() {}

    /** The table as (1, 1 + rows·cols, dim) on the CPU, patches in row-major order. */
    public static Tensor create(int dim, int rows, int cols) {
        return Torch.floats(Device.CPU, values(dim, rows, cols), 1, 1 + (long) rows * cols, dim);
    }

    /** The same table as a flat row-major array of (1 + rows·cols) × dim values. */
    public static float[] values(int dim, int rows, int cols) {
        if (dim % 4 != 0) {
            throw new IllegalArgumentException("sine-cosine table needs a width divisible by 4, got " + dim);
        }
        int m = dim / 4;
        double[] omega = new double[m];
        for (int i = 0; i < m; i++) {
            omega[i] = 1.0 / Math.pow(10000.0, i / (double) m);
        }
        float[] out = new float[(1 + rows * cols) * dim];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int at = (1 + r * cols + c) * dim;
                encode(out, at, c, omega);            // first half: the column
                encode(out, at + 2 * m, r, omega);    // second half: the row
            }
        }
        return out;
    }

    private static void encode(float[] out, int at, int position, double[] omega) {
        int m = omega.length;
        for (int i = 0; i < m; i++) {
            out[at + i] = (float) Math.sin(position * omega[i]);
            out[at + m + i] = (float) Math.cos(position * omega[i]);
        }
    }
}

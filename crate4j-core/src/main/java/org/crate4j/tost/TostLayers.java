package org.crate4j.tost;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.model.Layers;
import org.crate4j.model.Parameters;

/** The functional pieces ToST's blocks share besides TSSA. */
final class TostLayers {
    private TostLayers() {}

    static Tensor layerNorm(Tensor x, Parameters p, String prefix) {
        return Layers.layerNorm(x, p.get(prefix + "weight"), p.get(prefix + "bias"), TostConfig.LN_EPS);
    }

    static Tensor linear(Tensor x, Parameters p, String prefix) {
        return Layers.linear(x, p.get(prefix + "weight"), p.has(prefix + "bias") ? p.get(prefix + "bias") : null);
    }

    /** timm's Mlp: fc2(drop(GELU(fc1(x)))), then dropout; GELU is the exact (erf) one. */
    static Tensor mlp(Tensor x, Parameters p, String prefix, double dropout, boolean training) {
        Tensor hidden = dropout(torch.gelu(linear(x, p, prefix + "fc1.")), dropout, training);
        return dropout(linear(hidden, p, prefix + "fc2."), dropout, training);
    }

    static Tensor dropout(Tensor x, double rate, boolean training) {
        return training && rate > 0 ? torch.dropout(x, rate, true) : x;
    }

    /**
     * Stochastic depth (Huang et al., 2016) on a residual branch (B, n, d): each sample's branch
     * is dropped with probability {@code rate}, and kept ones are scaled by 1/(1 − rate).
     */
    static Tensor dropPath(Tensor branch, double rate, boolean training) {
        if (!training || rate <= 0) {
            return branch;
        }
        double keep = 1 - rate;
        // ⌊keep + U[0, 1)⌋ is 1 with probability keep
        Tensor mask = Torch.rand(Device.of(branch), branch.size(0), 1, 1)
                .add_(new Scalar(keep)).floor_();
        return branch.mul(mask.div_(new Scalar(keep)));
    }

    /**
     * The Fourier position features of an hp × wp grid (DETR's sine encoding, as XCiT uses it),
     * (hp·wp, 64) in row-major token order: for the row index y = (i + 1)/(hp + 1e-6)·2π and
     * column index x likewise, features [sin(y/T₀), cos(y/T₀), sin(y/T₁), cos(y/T₁), …] then the
     * same of x, with T_j = 10000^(2⌊j/2⌋/32) for j = 0..31.
     */
    static Tensor fourierFeatures(int hp, int wp, Device device) {
        int half = TostConfig.POS_HIDDEN;
        float[] f = new float[hp * wp * 2 * half];
        for (int i = 0; i < hp; i++) {
            for (int j = 0; j < wp; j++) {
                int row = (i * wp + j) * 2 * half;
                fill(f, row, (float) ((i + 1) / (hp + 1e-6) * 2 * Math.PI));
                fill(f, row + half, (float) ((j + 1) / (wp + 1e-6) * 2 * Math.PI));
            }
        }
        return Torch.floats(device, f, hp * wp, 2L * half);
    }

    private static void fill(float[] f, int at, float position) {
        int half = TostConfig.POS_HIDDEN;
        for (int k = 0; k < half; k++) {
            double scale = Math.pow(TostConfig.POS_TEMPERATURE, 2.0 * (k / 2) / half);
            double a = position / scale;
            f[at + k] = (float) (k % 2 == 0 ? Math.sin(a) : Math.cos(a));
        }
    }
}

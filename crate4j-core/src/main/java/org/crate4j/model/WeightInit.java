package org.crate4j.model;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * The distributions reference initialisations draw from, on libtorch's CPU generator whatever
 * device the model goes to (a seed gives the same weights on every device; the model moves them).
 */
public final class WeightInit {
    private WeightInit() {}

    /** U(−bound, bound). */
    public static Tensor uniform(long[] shape, double bound) {
        return Torch.empty(Device.CPU, shape).uniform_(-bound, bound, new GeneratorOptional());
    }

    /** N(0, std²). */
    public static Tensor normal(long[] shape, double std) {
        return Torch.empty(Device.CPU, shape).normal_(0.0, std, new GeneratorOptional());
    }

    /** N(0, 1), as {@code torch.randn}. */
    public static Tensor standardNormal(long[] shape) {
        return Torch.randn(Device.CPU, shape);
    }

    /**
     * N(0, std²) restricted to [lo, hi] by inverse-CDF sampling: u ~ U(Φ(lo/std), Φ(hi/std)), then
     * x = std·√2·erf⁻¹(2u − 1), clamped to [lo, hi] against rounding at the ends.
     */
    public static Tensor truncatedNormal(long[] shape, double std, double lo, double hi) {
        double a = 2 * phi(lo / std) - 1, b = 2 * phi(hi / std) - 1;
        return Torch.empty(Device.CPU, shape).uniform_(a, b, new GeneratorOptional()).erfinv_()
                .mul_(new Scalar(std * Math.sqrt(2))).clamp_min_(new Scalar(lo)).clamp_max_(new Scalar(hi));
    }

    public static Tensor ones(long[] shape) {
        return Torch.ones(Device.CPU, shape);
    }

    public static Tensor zeros(long[] shape) {
        return Torch.zeros(Device.CPU, shape);
    }

    /** The standard normal CDF Φ(x) = ½(1 + erf(x/√2)), with libtorch's erf in double precision. */
    static double phi(double x) {
        Tensor t = Torch.doubles(Device.CPU, new double[] {x / Math.sqrt(2)}, 1);
        return 0.5 * (1 + torch.erf(t).item_double());
    }
}

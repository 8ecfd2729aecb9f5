package org.crate4j.model;

import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * How a new tensor of a given shape is filled, drawn from libtorch's global CPU RNG (so one seed
 * gives the same model on every device; the model moves it afterwards).
 */
@FunctionalInterface
public interface Initializer {
    Tensor create(long[] shape);

    static Initializer constant(double value) {
        return shape -> Torch.ones(Device.CPU, shape).mul_(new Scalar(value));
    }

    /**
     * timm's {@code trunc_normal_(std, a = −2, b = 2)}: N(0, std²) cut at ±2 in absolute value. At
     * the std of 0.02 the models use, the cut lies 100σ out, so clamping equals resampling.
     */
    static Initializer truncatedNormal(double std) {
        return shape -> Torch.empty(Device.CPU, shape).normal_(0, std, new GeneratorOptional())
                .clamp_(new ScalarOptional(new Scalar(-2.0)), new ScalarOptional(new Scalar(2.0)));
    }

    /** U(−bound, bound). */
    static Initializer uniform(double bound) {
        return shape -> Torch.empty(Device.CPU, shape).uniform_(-bound, bound, new GeneratorOptional());
    }

    /**
     * PyTorch's default for Linear and Conv weights and biases (kaiming_uniform_ with a = √5):
     * U(±1/√fan_in), fan_in = the product of all but the first dimension of the weight.
     */
    static Initializer fanInUniform(long fanIn) {
        return uniform(1.0 / Math.sqrt(fanIn));
    }

    /** An int64 zero: BatchNorm's {@code num_batches_tracked}. */
    static Initializer counter() {
        return shape -> Torch.zeros(Device.CPU, shape).to(torch.ScalarType.Long);
    }
}

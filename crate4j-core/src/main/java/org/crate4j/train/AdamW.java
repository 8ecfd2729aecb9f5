package org.crate4j.train;

import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** AdamW with PyTorch's semantics: decay θ·(1 − lr·wd), then Adam's bias-corrected step. */
public final class AdamW extends Optimizer {
    private final double beta1, beta2, eps;

    public AdamW(Map<String, Tensor> params, double weightDecay, double beta1, double beta2, double eps) {
        super(params, weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    @Override
    protected void update(String name, Tensor p, Tensor grad, double lr) {
        Tensor m = slot(name, "exp_avg", p);
        Tensor v = slot(name, "exp_avg_sq", p);
        m.lerp_(grad, new Scalar(1 - beta1));                        // m ← β₁m + (1−β₁)g
        v.mul_(new Scalar(beta2)).addcmul_(grad, grad, new Scalar(1 - beta2)); // v ← β₂v + (1−β₂)g²
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2 = 1 - Math.pow(beta2, steps);
        Tensor denom = v.sqrt().div_(new Scalar(Math.sqrt(bc2))).add_(new Scalar(eps)); // √v̂ + ε
        p.addcdiv_(m, denom, new Scalar(-lr / bc1));                  // θ ← θ − lr·m̂/(√v̂ + ε)
    }
}

package org.crate4j.train;

import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/** Lion (architecture §5): c = β₁m + (1−β₁)g; θ ← θ − lr·(sign(c) + wd·θ); m ← β₂m + (1−β₂)g. */
public final class Lion extends Optimizer {
    private final double beta1, beta2;

    public Lion(Map<String, Tensor> params, double weightDecay, double beta1, double beta2) {
        super(params, weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
    }

    @Override
    protected void update(String name, Tensor p, Tensor grad, double lr) {
        Tensor m = slot(name, "exp_avg", p);
        Tensor c = m.lerp(grad, new Scalar(1 - beta1));
        p.add_(c.sign(), new Scalar(-lr));
        m.lerp_(grad, new Scalar(1 - beta2));
    }
}

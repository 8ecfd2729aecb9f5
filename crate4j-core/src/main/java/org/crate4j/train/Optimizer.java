package org.crate4j.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * A first-order optimizer over named parameters with decoupled weight decay. Which tensors decay
 * is decided by name and rank (nanoGPT's rule): matrices decay; biases, norms, the class token and
 * the position embedding do not.
 */
public abstract class Optimizer {
    protected final Map<String, Tensor> params;
    protected final double weightDecay;
    /** Per-parameter state tensors, by "param name/slot". Saved in checkpoints. */
    protected final Map<String, Tensor> state = new LinkedHashMap<>();
    protected long steps;
    private Predicate<String> decaying;

    protected Optimizer(Map<String, Tensor> params, double weightDecay) {
        this.params = params;
        this.weightDecay = weightDecay;
        this.decaying = name -> decays(name, params.get(name));
    }

    /**
     * Decay exactly the parameters {@code rule} names (the loop passes each parameter's
     * {@code ParameterKind.decays()}) instead of the name-and-rank rule of {@link #decays}.
     */
    public Optimizer decaying(Predicate<String> rule) {
        decaying = rule;
        return this;
    }

    public static boolean decays(String name, Tensor t) {
        return t.dim() >= 2 && !name.equals("pos_embedding") && !name.equals("cls_token")
                && !name.endsWith("pos_embed") && !name.equals("mask_token");
    }

    /** Applies one update with learning rate {@code lr} to every parameter that has a gradient. */
    public final void step(double lr) {
        steps++;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) {
                    continue;
                }
                if (weightDecay > 0 && decaying.test(e.getKey())) {
                    p.mul_(new Scalar(1.0 - lr * weightDecay));
                }
                update(e.getKey(), p, grad, lr);
            }
        }
    }

    protected abstract void update(String name, Tensor p, Tensor grad, double lr);

    public void zeroGrad() {
        for (Tensor p : params.values()) {
            Tensor g = p.grad();
            if (g != null && g.defined()) {
                g.zero_();
            }
        }
    }

    /** A state tensor of {@code like}'s shape, dtype and device (zeros_like inherits them). */
    protected Tensor slot(String name, String slot, Tensor like) {
        return state.computeIfAbsent(name + "/" + slot, k -> {
            Tensor t = torch.zeros_like(like);
            t.retainReference();
            return t;
        });
    }

    public Map<String, Tensor> state() {
        return state;
    }

    public long steps() {
        return steps;
    }

    /**
     * Restores state saved from {@link #state()} and the step count. Each slot is copied into a
     * fresh tensor on its parameter's device (a checkpoint is read to host memory; the moments
     * must live where the update runs).
     */
    public void load(Map<String, Tensor> saved, long savedSteps) {
        state.clear();
        saved.forEach((k, v) -> {
            Tensor owner = params.get(k.substring(0, k.lastIndexOf('/')));
            Tensor t = owner == null ? v.clone() : v.to(owner.device(), v.scalar_type(), false, true, new MemoryFormatOptional());
            t.retainReference();
            state.put(k, t);
        });
        steps = savedSteps;
    }

    /**
     * SAM's ascent step (Foret et al., 2021): moves every parameter that has a gradient by
     * {@code rho · g / ‖g‖} (global norm) and returns the moves, for {@link #restore}.
     */
    public Map<String, Tensor> perturb(double rho) {
        try (NoGradGuard g = new NoGradGuard()) {
            Scalar s = new Scalar(rho / (gradNorm() + 1e-12));
            Map<String, Tensor> moved = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor grad = e.getValue().grad();
                if (grad != null && grad.defined()) {
                    Tensor d = grad.mul(s);
                    e.getValue().add_(d);
                    moved.put(e.getKey(), d);
                }
            }
            return moved;
        }
    }

    /** Undoes {@link #perturb}: the parameters return to where they were (up to rounding). */
    public void restore(Map<String, Tensor> moved) {
        try (NoGradGuard g = new NoGradGuard()) {
            moved.forEach((name, d) -> params.get(name).sub_(d));
        }
    }

    /** The global L2 norm of all gradients. */
    public double gradNorm() {
        try (NoGradGuard g = new NoGradGuard()) {
            double sq = 0;
            for (Tensor p : params.values()) {
                Tensor grad = p.grad();
                if (grad != null && grad.defined()) {
                    double n = grad.norm().item_double();
                    sq += n * n;
                }
            }
            return Math.sqrt(sq);
        }
    }

    /** The global L2 norm of all gradients; scales them down to {@code maxNorm} when above it. */
    public double clipGradNorm(double maxNorm) {
        try (NoGradGuard g = new NoGradGuard()) {
            double norm = gradNorm();
            if (maxNorm > 0 && norm > maxNorm) {
                Scalar s = new Scalar(maxNorm / (norm + 1e-6));
                for (Tensor p : params.values()) {
                    Tensor grad = p.grad();
                    if (grad != null && grad.defined()) {
                        grad.mul_(s);
                    }
                }
            }
            return norm;
        }
    }
}

package org.crate4j.train;

import java.util.Collection;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.engine.Precision;

/**
 * Dynamic loss scaling for fp16 training (Micikevicius et al., 2018, "Mixed Precision Training";
 * the rule of PyTorch's {@code GradScaler}). Gradients smaller than fp16's 6·10⁻⁸ vanish, so
 * the loss is multiplied by a scale S before backward and the gradients divided by S before the
 * update. A step whose gradients hold an inf or a NaN (S too large) is skipped and S halves;
 * after {@code interval} clean steps in a row S doubles, so S stays near the largest safe value.
 * With fp32 or bf16 (whose range is fp32's) the scaler is {@link #off()}: no scaling, every
 * step taken.
 */
public final class LossScaler {
    /** GradScaler's defaults: S₀ = 2¹⁶, growth ×2 after 2000 clean steps, back-off ×½. */
    public static final double INITIAL_SCALE = 65536.0;
    public static final int GROWTH_INTERVAL = 2000;
    private static final double GROWTH = 2.0, BACKOFF = 0.5;
    /** Metadata key of the scaler's state in a training checkpoint (exact resume). */
    public static final String METADATA_KEY = "loss_scaler";

    private final boolean enabled;
    private final int interval;
    private double scale;
    private int cleanSteps;
    private long skipped;

    private LossScaler(boolean enabled, double scale, int interval) {
        if (enabled && !(scale > 0 && Double.isFinite(scale) && interval > 0)) {
            throw new IllegalArgumentException("loss scale " + scale + " and growth interval " + interval + " must be positive");
        }
        this.enabled = enabled;
        this.scale = scale;
        this.interval = interval;
    }

    /** A dynamic scaler starting at {@code scale}, growing after {@code interval} clean steps. */
    public static LossScaler dynamic(double scale, int interval) {
        return new LossScaler(true, scale, interval);
    }

    /** No scaling: the loss as it is, every step taken (after clipping). */
    public static LossScaler off() {
        return new LossScaler(false, 1.0, 1);
    }

    /** What a run at {@code precision} uses: the standard dynamic scaler for fp16, else off. */
    public static LossScaler forPrecision(Precision precision) {
        return precision.scalesLoss() ? dynamic(INITIAL_SCALE, GROWTH_INTERVAL) : off();
    }

    public boolean enabled() { return enabled; }
    public double scale() { return scale; }
    public int cleanSteps() { return cleanSteps; }
    /** Steps skipped for non-finite gradients so far. */
    public long skipped() { return skipped; }

    /** S · loss, what backward runs on. */
    public Tensor scale(Tensor loss) {
        return enabled ? loss.mul(new Scalar(scale)) : loss;
    }

    /**
     * Divides every gradient by S in place; true when all of them are finite. One host
     * synchronisation for all the parameters.
     */
    public boolean unscale(Collection<Tensor> params) {
        if (!enabled) {
            return true;
        }
        try (NoGradGuard g = new NoGradGuard()) {
            Scalar inverse = new Scalar(1.0 / scale);
            Tensor allFinite = null;
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad == null || !grad.defined()) {
                    continue;
                }
                grad.mul_(inverse);
                Tensor finite = grad.isfinite().all();
                allFinite = allFinite == null ? finite : allFinite.logical_and(finite);
            }
            return allFinite == null || allFinite.item_double() != 0;
        }
    }

    /** Records the outcome of one step: a non-finite one halves S, {@code interval} finite ones in a row double it. */
    public void update(boolean finite) {
        if (!enabled) {
            return;
        }
        if (!finite) {
            scale *= BACKOFF;
            cleanSteps = 0;
            skipped++;
        } else if (++cleanSteps >= interval) {
            scale *= GROWTH;
            cleanSteps = 0;
        }
    }

    /**
     * Everything between backward and the next step: unscale, then clip and update, or skip the
     * update when a gradient is not finite. Returns whether the parameters moved.
     */
    public boolean step(Optimizer optimizer, double lr, double clipNorm, Collection<Tensor> params) {
        boolean finite = unscale(params);
        update(finite);
        if (!finite) {
            return false;
        }
        if (clipNorm > 0) {
            optimizer.clipGradNorm(clipNorm);
        }
        optimizer.step(lr);
        return true;
    }

    /** The state a checkpoint keeps, as one metadata value. */
    public String toMetadata() {
        return scale + " " + cleanSteps + " " + skipped;
    }

    /** Restores {@link #toMetadata()} from a checkpoint's metadata, when it holds any (runs saved without fp16 do not). */
    public void restore(Map<String, String> metadata) {
        String v = metadata.get(METADATA_KEY);
        if (!enabled || v == null) {
            return;
        }
        String[] f = v.trim().split(" ");
        try {
            scale = Double.parseDouble(f[0]);
            cleanSteps = Integer.parseInt(f[1]);
            skipped = Long.parseLong(f[2]);
        } catch (RuntimeException e) {
            throw new CrateException("--resume: the checkpoint's " + METADATA_KEY + " '" + v + "' is not 'scale clean-steps skipped'");
        }
    }
}

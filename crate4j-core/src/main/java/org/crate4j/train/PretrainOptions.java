package org.crate4j.train;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * Everything a CRATE-MAE pre-training run needs besides the model and the data. {@link #recipe}
 * is the MAE recipe of docs/architecture.md §2 for a given batch.
 *
 * @param epochs         planned epochs (0 with a time budget: fit the cosine to the budget)
 * @param batch          images per forward-backward pass (a micro-batch when accumulating)
 * @param lr             peak learning rate (the recipe: base lr 1.5e-4 × batch / 256)
 * @param warmupFraction linear warm-up as a fraction of the planned steps (the recipe's 40 of 800 epochs)
 * @param clipNorm       global gradient-norm clip (0: off, as in the recipe)
 * @param cropScaleMin   smallest area fraction of RandomResizedCrop (the recipe: 0.2)
 * @param timeBudgetMin  stop cleanly after this many minutes, evaluate and save (0: none)
 * @param accumSteps     micro-batches per optimizer step (≥ 1); a step averages over batch × accumSteps images
 * @param strictData     stop at the first file that cannot be decoded (otherwise: replaced in training, left out
 *                       of the held-out loss, named and counted either way)
 */
public record PretrainOptions(int epochs, int batch, double lr, double minLr, double weightDecay, double beta1, double beta2,
        double warmupFraction, double clipNorm, double cropScaleMin, long seed, int workers, double timeBudgetMin,
        Path outDir, boolean resume, int accumSteps, boolean strictData) {

    public PretrainOptions {
        TrainOptions.requireAccumSteps(accumSteps);
    }

    /** The MAE recipe's base learning rate, per 256 images of batch. */
    public static final double BASE_LR = 1.5e-4;

    /** The recipe's scaling rule: lr = base lr × global batch / 256 (MAE's effective batch: batch × accumulation × processes). */
    public static double scaledLr(double baseLr, int globalBatch) {
        return baseLr * globalBatch / 256.0;
    }

    /** AdamW β (0.9, 0.95), wd 0.05, base lr 1.5e-4 scaled, 5 % warm-up then cosine, 800 epochs, crop scale 0.2–1. */
    public static PretrainOptions recipe(Path out, int batch) {
        return new PretrainOptions(800, batch, scaledLr(BASE_LR, batch), 0, 0.05, 0.9, 0.95, 40.0 / 800, 0, 0.2,
                0, 1, 0, out, false, 1, false);
    }

    /**
     * The Fashion-MNIST job: the recipe, but batch 128 and base lr 3e-3 (lr 1.5e-3) so that a
     * run of a few epochs takes enough steps, its cosine fitted to a 15-minute budget.
     */
    public static PretrainOptions fashionMnist(Path out) {
        return recipe(out, 128).with(b -> {
            b.lr = scaledLr(3e-3, 128);
            b.epochs = 0;
            b.timeBudgetMin = 15;
            return b;
        });
    }

    public PretrainOptions with(UnaryOperator<Builder> edit) {
        return edit.apply(new Builder(this)).build();
    }

    /** A mutable copy for the CLI and tests to change fields of. */
    public static final class Builder {
        public int epochs, batch, workers, accumSteps;
        public double lr, minLr, weightDecay, beta1, beta2, warmupFraction, clipNorm, cropScaleMin, timeBudgetMin;
        public long seed;
        public Path outDir;
        public boolean resume, strictData;

        Builder(PretrainOptions o) {
            epochs = o.epochs; batch = o.batch; lr = o.lr; minLr = o.minLr; weightDecay = o.weightDecay;
            beta1 = o.beta1; beta2 = o.beta2; warmupFraction = o.warmupFraction; clipNorm = o.clipNorm;
            cropScaleMin = o.cropScaleMin; seed = o.seed; workers = o.workers; timeBudgetMin = o.timeBudgetMin;
            outDir = o.outDir; resume = o.resume; accumSteps = o.accumSteps; strictData = o.strictData;
        }

        public PretrainOptions build() {
            return new PretrainOptions(epochs, batch, lr, minLr, weightDecay, beta1, beta2, warmupFraction, clipNorm,
                    cropScaleMin, seed, workers, timeBudgetMin, outDir, resume, accumSteps, strictData);
        }
    }

    /** Images one optimizer step averages over on one process. */
    public int globalBatch() {
        return batch * accumSteps;
    }

    /** Images one optimizer step averages over on {@code world} processes (the batch the recipe's lr scales with). */
    public int globalBatch(int world) {
        return batch * accumSteps * world;
    }

    /** What the training loop reads: warm-up as a fraction of the steps, AdamW (ε 1e-8), no SAM or patch dropout. */
    LoopOptions loop() {
        return new LoopOptions(epochs, batch, accumSteps, lr, minLr, LoopOptions.Warmup.fraction(warmupFraction), "adamw",
                p -> new AdamW(p, weightDecay, beta1, beta2, 1e-8), clipNorm, 0, seed, workers, timeBudgetMin, outDir, resume, 0, 1,
                strictData);
    }
}

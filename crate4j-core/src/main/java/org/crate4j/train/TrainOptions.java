package org.crate4j.train;

import java.nio.file.Path;

/**
 * Everything a training run needs besides the model and the data. Defaults are the
 * Fashion-MNIST main job's; {@link #imagenetRecipe} and {@link #finetuneRecipe} follow docs/architecture.md §5.
 *
 * @param epochs        planned epochs (0 with a time budget: fit the schedule to the budget)
 * @param batch         per-process batch of one forward-backward pass (a micro-batch when accumulating)
 * @param lr            peak learning rate for the global batch
 * @param warmupEpochs  linear warm-up length, stepped per batch
 * @param clipNorm      global gradient-norm clip (0: off)
 * @param timeBudgetMin stop cleanly after this many minutes, evaluate and save (0: none)
 * @param patchDropout  fraction of patch tokens each training image drops ({@link org.crate4j.model.Crate#patchDropout})
 * @param patchDropoutUntil fraction of the planned steps that use patch dropout; the rest train on every patch
 * @param sam           SAM neighbourhood radius rho (0: plain steps); each step then costs two forward-backward passes
 * @param accumSteps    micro-batches whose gradients one optimizer step accumulates (≥ 1): a step then averages
 *                      over batch × accumSteps × world size images, the global batch
 * @param strictData    stop at the first file that cannot be decoded; otherwise training replaces it by
 *                      another sample and evaluation leaves it out, both naming and counting it
 */
public record TrainOptions(int epochs, int batch, String optimizer, double lr, double minLr, double weightDecay,
        double beta1, double beta2, double eps, double warmupEpochs, double labelSmoothing, double clipNorm,
        long seed, int workers, double timeBudgetMin, Path outDir, boolean resume, String augment,
        double patchDropout, double patchDropoutUntil, double sam, int accumSteps, boolean strictData) {

    public TrainOptions {
        if (!(patchDropout >= 0 && patchDropout < 1)) {
            throw new org.crate4j.CrateException("--patch-dropout must be in [0, 1), got " + patchDropout);
        }
        if (!(patchDropoutUntil >= 0 && patchDropoutUntil <= 1)) {
            throw new org.crate4j.CrateException("--patch-dropout-until must be in [0, 1], got " + patchDropoutUntil);
        }
        if (!(sam >= 0)) {
            throw new org.crate4j.CrateException("--sam must be ≥ 0, got " + sam);
        }
        requireAccumSteps(accumSteps);
    }

    /** Refuses a gradient-accumulation count below 1 in one line (the commands check it before anything else). */
    public static int requireAccumSteps(int k) {
        if (k < 1) {
            throw new org.crate4j.CrateException("--accum-steps must be ≥ 1 (micro-batches per optimizer step), got " + k);
        }
        return k;
    }

    /** Images one optimizer step averages over, on {@code world} processes. */
    public int globalBatch(int world) {
        return batch * accumSteps * world;
    }

    /** What the training loop reads: warm-up in epochs, the named optimizer. */
    LoopOptions loop() {
        return new LoopOptions(epochs, batch, accumSteps, lr, minLr, LoopOptions.Warmup.epochs(warmupEpochs), optimizer,
                this::newOptimizer, clipNorm, sam, seed, workers, timeBudgetMin, outDir, resume, patchDropout, patchDropoutUntil, strictData);
    }

    public static TrainOptions fashionMnistDefaults(Path out) {
        return new TrainOptions(0, 128, "adamw", 2e-3, 1e-5, 0.05, 0.9, 0.999, 1e-8, 0.3, 0.1, 1.0,
                0, 1, 10, out, false, "flip", 0, 1, 0, 1, false);
    }

    /** The reference README's ImageNet recipe: crate-tiny, Lion 2e-4, wd 0.05, batch 512, 200 epochs. */
    public static TrainOptions imagenetRecipe(Path out) {
        return new TrainOptions(200, 512, "lion", 2e-4, 0, 0.05, 0.9, 0.99, 1e-8, 5, 0.1, 0,
                0, 2, 0, out, false, "imagenet", 0, 1, 0, 1, false);
    }

    /** The reference's fine-tuning recipe: AdamW 5e-5, wd 0.01, cosine, RandAugment(2, 14), 200 epochs. */
    public static TrainOptions finetuneRecipe(Path out) {
        return new TrainOptions(200, 256, "adamw", 5e-5, 0, 0.01, 0.9, 0.999, 1e-8, 0, 0.0, 0,
                0, 2, 0, out, false, "finetune", 0, 1, 0, 1, false);
    }

    /**
     * The data-parallel rule: a recipe's batch and learning rates are for the <em>global</em> batch
     * (per-process batch × accumulation steps × processes). Without an explicit per-process batch each
     * of the {@code world} processes takes recipe batch / (world × accumSteps), so the global batch and
     * the whole recipe stay the same. With one, the global batch is batch × accumSteps × world and the
     * recipe's lr and min-lr, unless given, are scaled by global batch / recipe batch (the linear
     * scaling rule of Goyal et al., 2017).
     *
     * @param recipe the recipe before the command-line flags ({@code this} is after them)
     */
    public TrainOptions forWorld(TrainOptions recipe, int world, boolean batchGiven, boolean lrGiven, boolean minLrGiven) {
        if (!batchGiven) {
            int shares = world * accumSteps;
            if (recipe.batch % shares != 0) {
                throw new org.crate4j.CrateException("the recipe's global batch " + recipe.batch + " does not split over " + world
                        + " processes" + (accumSteps > 1 ? " × " + accumSteps + " accumulation steps" : "") + ": pass --batch (per process)");
            }
            return with(b -> { b.batch = recipe.batch / shares; return b; });
        }
        double scale = (double) globalBatch(world) / recipe.batch;
        return with(b -> {
            if (!lrGiven) b.lr = recipe.lr * scale;
            if (!minLrGiven) b.minLr = recipe.minLr * scale;
            return b;
        });
    }

    public TrainOptions with(java.util.function.UnaryOperator<Builder> edit) {
        return edit.apply(new Builder(this)).build();
    }

    /** A mutable copy for the CLI to apply flags to. */
    public static final class Builder {
        public int epochs, batch, workers, accumSteps;
        public String optimizer, augment;
        public double lr, minLr, weightDecay, beta1, beta2, eps, warmupEpochs, labelSmoothing, clipNorm, timeBudgetMin, patchDropout, patchDropoutUntil, sam;
        public long seed;
        public Path outDir;
        public boolean resume, strictData;

        Builder(TrainOptions o) {
            epochs = o.epochs; batch = o.batch; optimizer = o.optimizer; lr = o.lr; minLr = o.minLr;
            weightDecay = o.weightDecay; beta1 = o.beta1; beta2 = o.beta2; eps = o.eps; warmupEpochs = o.warmupEpochs;
            labelSmoothing = o.labelSmoothing; clipNorm = o.clipNorm; seed = o.seed; workers = o.workers;
            timeBudgetMin = o.timeBudgetMin; outDir = o.outDir; resume = o.resume; augment = o.augment;
            patchDropout = o.patchDropout; patchDropoutUntil = o.patchDropoutUntil; sam = o.sam; accumSteps = o.accumSteps;
            strictData = o.strictData;
        }

        public TrainOptions build() {
            return new TrainOptions(epochs, batch, optimizer, lr, minLr, weightDecay, beta1, beta2, eps, warmupEpochs,
                    labelSmoothing, clipNorm, seed, workers, timeBudgetMin, outDir, resume, augment,
                    patchDropout, patchDropoutUntil, sam, accumSteps, strictData);
        }
    }

    Optimizer newOptimizer(java.util.Map<String, org.bytedeco.pytorch.Tensor> params) {
        switch (optimizer.toLowerCase(java.util.Locale.ROOT)) {
            case "adamw": return new AdamW(params, weightDecay, beta1, beta2, eps);
            case "lion": return new Lion(params, weightDecay, beta1, beta2);
            default: throw new org.crate4j.CrateException("unknown optimizer '" + optimizer + "': use adamw or lion");
        }
    }
}

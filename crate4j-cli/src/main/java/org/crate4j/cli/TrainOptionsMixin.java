package org.crate4j.cli;

import java.nio.file.Path;
import org.crate4j.train.TrainOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Flags shared by train and finetune; each overrides the recipe's value only when given. */
final class TrainOptionsMixin {
    @Option(names = "--data", description = "dataset dir: ImageNet-style folders (train/, val/), CIFAR binary or MNIST idx (default: Fashion-MNIST)")
    Path data;
    @Option(names = "--val-split", defaultValue = "val", description = "evaluation split: val or test (default: ${DEFAULT-VALUE})")
    String valSplit;
    @Option(names = "--out", description = "run directory for checkpoints, metrics and plots (default: runs/<command>)")
    Path out;
    @Option(names = "--resume", description = "continue the run in --out from its last checkpoint")
    boolean resume;
    @Option(names = "--epochs", description = "epochs (with --time-budget and no --epochs: fitted to the budget)")
    Integer epochs;
    @Option(names = "--batch", description = "per-process batch size (default: the recipe's batch split over the processes; "
            + "with --batch the recipe's learning rates scale with the global batch)")
    Integer batch;
    @Option(names = "--accum-steps", description = "gradient accumulation: micro-batches of --batch per optimizer step, "
            + "so a step averages over batch x accum-steps x processes images (e.g. a recipe's batch 512 as --batch 64 --accum-steps 8); "
            + "default 1")
    Integer accumSteps;
    @Option(names = "--optimizer", description = "adamw or lion")
    String optimizer;
    @Option(names = "--lr", description = "peak learning rate, for the global batch (per-process batch × processes)")
    Double lr;
    @Option(names = "--min-lr", description = "final learning rate of the cosine")
    Double minLr;
    @Option(names = "--wd", description = "decoupled weight decay (matrices only)")
    Double wd;
    @Option(names = "--warmup-epochs", description = "linear warm-up length in epochs (stepped per batch)")
    Double warmup;
    @Option(names = "--label-smoothing", description = "label smoothing")
    Double labelSmoothing;
    @Option(names = "--clip", description = "global gradient-norm clip (0: off)")
    Double clip;
    @Option(names = "--seed", description = "random seed")
    Long seed;
    @Option(names = "--workers", description = "data worker threads")
    Integer workers;
    @Option(names = "--time-budget", description = "minutes: stop cleanly, evaluate and save (0: none)")
    Double budget;
    @Option(names = "--augment", description = "none, flip, erase (flip + random erasing), shift (flip + padded random crop), light (mild random-resized crop + flip), imagenet or finetune")
    String augment;
    @Option(names = "--patch-dropout", description = "fraction of patch tokens each training image drops (PatchDropout; evaluation keeps every patch)")
    Double patchDropout;
    @Option(names = "--patch-dropout-until", description = "fraction of the training steps that drop patches; the rest train on every patch")
    Double patchDropoutUntil;
    @Option(names = "--sam", description = "sharpness-aware minimisation radius rho (0: off); doubles the cost of a step")
    Double sam;
    @Mixin
    DataCheckOptions dataCheck;

    /** The recipe with the flags applied, for {@code world} processes (see {@link TrainOptions#forWorld}). */
    TrainOptions apply(TrainOptions base, String command, int world) {
        return flags(base, command).forWorld(base, world, batch != null, lr != null, minLr != null);
    }

    private TrainOptions flags(TrainOptions base, String command) {
        return base.with(b -> {
            if (epochs != null) b.epochs = epochs;
            if (batch != null) b.batch = batch;
            if (accumSteps != null) b.accumSteps = accumSteps;
            if (optimizer != null) b.optimizer = optimizer;
            if (lr != null) b.lr = lr;
            if (minLr != null) b.minLr = minLr;
            if (wd != null) b.weightDecay = wd;
            if (warmup != null) b.warmupEpochs = warmup;
            if (labelSmoothing != null) b.labelSmoothing = labelSmoothing;
            if (clip != null) b.clipNorm = clip;
            if (seed != null) b.seed = seed;
            if (workers != null) b.workers = workers;
            if (budget != null) b.timeBudgetMin = budget;
            if (augment != null) b.augment = augment;
            if (patchDropout != null) b.patchDropout = patchDropout;
            if (patchDropoutUntil != null) b.patchDropoutUntil = patchDropoutUntil;
            if (sam != null) b.sam = sam;
            b.outDir = out != null ? out : Path.of("runs", command);
            b.resume = resume;
            b.strictData = dataCheck.strict;
            if (budget != null && epochs == null && b.timeBudgetMin > 0 && base.epochs() > 0) {
                b.epochs = base.epochs(); // a recipe's epochs stay; the budget only stops
            }
            return b;
        });
    }
}

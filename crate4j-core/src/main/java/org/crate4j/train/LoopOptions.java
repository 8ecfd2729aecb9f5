package org.crate4j.train;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.Tensor;

/**
 * What {@link TrainLoop} reads of a task's options ({@link TrainOptions#loop()},
 * {@link PretrainOptions#loop()}): the length, batching, schedule, seed, budget and where to write.
 *
 * @param batch        per-process images of one forward-backward pass (a micro-batch when accumulating)
 * @param accumSteps   micro-batches per optimizer step
 * @param warmup       the linear warm-up's length
 * @param optimizer    the optimizer's name, kept in checkpoints so that a resume uses the same one
 * @param newOptimizer makes the optimizer over the parameters
 * @param sam          SAM radius (0: plain steps)
 * @param patchDropout a classifier's patch-dropout rate for the first {@code patchDropoutUntil} of the steps (0: none)
 * @param strictData   stop at the first training file that cannot be decoded (otherwise another sample takes its place)
 */
record LoopOptions(int epochs, int batch, int accumSteps, double lr, double minLr, Warmup warmup, String optimizer,
        Function<Map<String, Tensor>, Optimizer> newOptimizer, double clipNorm, double sam, long seed, int workers,
        double timeBudgetMin, Path outDir, boolean resume, double patchDropout, double patchDropoutUntil, boolean strictData) {

    /**
     * The linear warm-up: {@code length} epochs (at least one step), or with {@code fractionOfSteps}
     * that fraction of the planned steps (the MAE recipe's 40 of 800 epochs; 0 is none).
     */
    record Warmup(double length, boolean fractionOfSteps) {
        static Warmup epochs(double e) { return new Warmup(e, false); }
        static Warmup fraction(double f) { return new Warmup(f, true); }

        long steps(int perEpoch, long total) {
            return fractionOfSteps ? Math.round(length * total) : Math.max(1, Math.round(length * perEpoch));
        }

        /**
         * A budgeted run's length before its steps are timed: a fractional warm-up is made to span
         * the timed steps (so they run at warm-up rates, as the run will); an epoch warm-up does not
         * depend on it (a long provisional plan, refined once the rate is known).
         */
        long provisionalSteps(int perEpoch, int timedSteps) {
            return fractionOfSteps ? Math.max(1, Math.round(timedSteps / Math.max(1e-3, length))) : 1000L * perEpoch;
        }

        /**
         * Whether a resumed run re-plans its budget: not with a fractional warm-up, whose steps the
         * first run has taken at that plan's rates (the budget then only stops this part).
         */
        boolean replansOnResume() {
            return !fractionOfSteps;
        }
    }

    /** Images one optimizer step averages over, on {@code world} processes. */
    int globalBatch(int world) {
        return batch * accumSteps * world;
    }

    LrSchedule schedule(int perEpoch, long total) {
        return new LrSchedule(lr, minLr, warmup.steps(perEpoch, total), total);
    }
}

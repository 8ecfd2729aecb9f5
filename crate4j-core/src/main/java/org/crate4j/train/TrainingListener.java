package org.crate4j.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.crate4j.data.BadFiles;

/**
 * Watches a training run (after DJL's {@code TrainingListener}): progress bars, metrics files,
 * console lines and anything a caller wants are listeners, so the loop itself only trains. Every
 * method does nothing by default. In a data-parallel job only rank 0 notifies its listeners, with
 * figures already summed over the processes where the record says so.
 */
public interface TrainingListener {
    /** What the loop trains for: the task decides which metrics an {@link Epoch} carries. */
    enum Task { CLASSIFICATION, MASKED_AUTOENCODING }

    /** Which checkpoint a file is: the latest position (resumable) or the best evaluation so far. */
    enum Checkpoint { LAST, BEST }

    /**
     * The files that could not be decoded so far, over all processes: in training each was replaced
     * by another sample, in evaluation each was left out (its figures are over the readable images).
     */
    record BadData(BadFiles train, BadFiles val) {
        public static final BadData NONE = new BadData(BadFiles.NONE, BadFiles.NONE);

        public boolean any() {
            return train.any() || val.any();
        }
    }

    /**
     * The plan, before the first step.
     *
     * @param firstStep     optimizer steps already behind (a resumed run), counted from the run's start
     * @param totalSteps    planned optimizer steps (a time budget may re-plan them)
     * @param stepsPerEpoch optimizer steps in one epoch
     * @param imagesPerStep images one optimizer step averages over: batch × accumulation steps × processes
     * @param startEpoch    where the run starts, in epochs (fractional when resumed mid-epoch)
     */
    record Start(Task task, Path outDir, long firstStep, long totalSteps, int stepsPerEpoch, int imagesPerStep,
            int accumSteps, int processes, boolean resumed, double startEpoch) {}

    /**
     * One optimizer step (of {@code accumSteps} accumulated micro-batches).
     *
     * @param step          optimizer steps done, this one included
     * @param epoch         the epoch it belongs to, from 0
     * @param stepInEpoch   steps done in this epoch, this one included (1 … stepsPerEpoch)
     * @param loss          mean training loss of this process's images in the step
     * @param accuracy      fraction of them classified right (NaN when the task is not classification)
     * @param gradNorm      global L2 norm of the averaged gradient, before clipping
     * @param images        this process's images in the step
     * @param imagesPerSec  training images per second over the epoch so far, all processes
     * @param dataWait      fraction of the epoch so far spent waiting for data
     */
    record Step(long step, int epoch, int stepInEpoch, int stepsPerEpoch, double loss, double accuracy, double lr,
            double gradNorm, int images, double imagesPerSec, double dataWait) {}

    /**
     * The end of an epoch, or of the part of one before a stop, after evaluation. {@code metrics} is
     * the row of {@code metrics.csv}: epoch, step, train_loss, val_loss, lr, seconds, images_per_sec
     * (training images per second of train steps so far, all processes), and for classification
     * train_top1, val_top1, val_top5 (fractions; over all processes).
     *
     * @param position  epochs done, fractional after a stop mid-epoch
     * @param valImages images the evaluation saw (the readable ones)
     * @param badData   the files that could not be decoded, in training and in evaluation
     */
    record Epoch(int epoch, double position, long step, Map<String, Double> metrics, double imagesPerSec, double dataWait,
            long valImages, BadData badData) {
        public Epoch(int epoch, double position, long step, Map<String, Double> metrics, double imagesPerSec, double dataWait,
                long valImages) {
            this(epoch, position, step, metrics, imagesPerSec, dataWait, valImages, BadData.NONE);
        }

        /** A metric of the row, NaN when the task does not measure it. */
        public double metric(String name) {
            return metrics.getOrDefault(name, Double.NaN);
        }
    }

    /**
     * The run is over (finished, stopped by its budget, or nothing was left to train).
     *
     * @param metrics the last evaluation: val_loss, and val_top1, val_top5 for classification,
     *                train_loss for masked autoencoding
     * @param badData the files that could not be decoded over the whole run
     */
    record End(long steps, double epochs, double seconds, double imagesPerSec, Path lastCheckpoint, Map<String, Double> metrics,
            BadData badData) {
        public End(long steps, double epochs, double seconds, double imagesPerSec, Path lastCheckpoint, Map<String, Double> metrics) {
            this(steps, epochs, seconds, imagesPerSec, lastCheckpoint, metrics, BadData.NONE);
        }

        public double metric(String name) {
            return metrics.getOrDefault(name, Double.NaN);
        }
    }

    default void onStart(Start start) {}

    /** An epoch begins; {@code stepsDone} of its steps are already behind (a resumed run). */
    default void onEpochStart(int epoch, int stepsPerEpoch, int stepsDone) {}

    default void onStep(Step step) {}

    default void onEpoch(Epoch epoch) {}

    /** A checkpoint was written, atomically, to {@code file}. */
    default void onCheckpoint(Path file, Checkpoint which) {}

    default void onEnd(End end) {}

    /** One listener that tells each of {@code listeners}, in order. */
    static TrainingListener all(List<TrainingListener> listeners) {
        List<TrainingListener> each = List.copyOf(listeners);
        return new TrainingListener() {
            @Override public void onStart(Start s) { each.forEach(l -> l.onStart(s)); }
            @Override public void onEpochStart(int e, int n, int done) { each.forEach(l -> l.onEpochStart(e, n, done)); }
            @Override public void onStep(Step s) { each.forEach(l -> l.onStep(s)); }
            @Override public void onEpoch(Epoch e) { each.forEach(l -> l.onEpoch(e)); }
            @Override public void onCheckpoint(Path f, Checkpoint k) { each.forEach(l -> l.onCheckpoint(f, k)); }
            @Override public void onEnd(End e) { each.forEach(l -> l.onEnd(e)); }
        };
    }
}

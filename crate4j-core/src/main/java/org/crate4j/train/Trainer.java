package org.crate4j.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.crate4j.data.Batch;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.model.ImageClassifier;

/**
 * Trains an image classifier of any family ({@link ImageClassifier}: CRATE, CRATE-α, ViT, ToST):
 * the one {@link TrainLoop} on a {@link ClassificationTask} (label-smoothed cross-entropy, patch
 * dropout, top-1/top-5 every epoch, last and best checkpoints of the whole state dict, weight
 * decay by parameter kind), AdamW or Lion, data parallel through {@link GradientSync}. Built by
 * {@link Training}.
 */
public final class Trainer {
    public record Summary(double top1, double top5, double epochs, long steps, double seconds, double imagesPerSec, Path lastCheckpoint) {}

    private final ImageClassifier model;
    private final TrainOptions opt;
    private final Precision precision;
    private final GradientSync sync;
    private final Map<String, String> metadata;
    private final List<TrainingListener> listeners;
    private long stopAfterStep = Long.MAX_VALUE;
    /** The loop that {@link #trainStep} steps, made on first use (no validation split). */
    private TrainLoop stepper;

    Trainer(ImageClassifier model, TrainOptions opt, Precision precision, GradientSync sync, Map<String, String> metadata,
            List<TrainingListener> listeners) {
        TrainLoop.checkPrecision(opt.loop(), precision);
        this.model = model;
        this.opt = opt;
        this.precision = precision;
        this.sync = sync;
        this.metadata = metadata;
        this.listeners = List.copyOf(listeners);
    }

    /** Ends the run after this global step as an interruption would (for tests of --resume). */
    Trainer stopAfterStep(long step) {
        stopAfterStep = step;
        return this;
    }

    public Path lastPath() { return opt.outDir().resolve("last.safetensors"); }
    public Path bestPath() { return opt.outDir().resolve("best.safetensors"); }

    public Summary fit(Dataset train, Transform trainTf, Dataset val, Transform valTf) {
        TrainLoop loop = new TrainLoop(new ClassificationTask(model, opt, precision, sync, val, valTf), opt.loop(), precision, sync,
                metadata, listeners).stopAfterStep(stopAfterStep);
        TrainLoop.Result r = loop.fit(train, trainTf);
        Map<String, Double> m = r.last().metrics();
        return new Summary(m.get("val_top1"), m.get("val_top5"), r.epochs(), r.steps(), r.seconds(), r.imagesPerSec(), r.lastCheckpoint());
    }

    /** One optimizer step on one batch (no accumulation). */
    TrainLoop.StepResult trainStep(Batch b, Optimizer optimizer, double lr, long step) {
        return trainStep(List.of(b), optimizer, lr, step);
    }

    /** One optimizer step accumulated over {@code batches}; see {@link TrainLoop#trainStep}. */
    TrainLoop.StepResult trainStep(List<Batch> batches, Optimizer optimizer, double lr, long step) {
        if (stepper == null) {
            stepper = new TrainLoop(new ClassificationTask(model, opt, precision, sync, null, null), opt.loop(), precision, sync,
                    metadata, List.of());
        }
        return stepper.trainStep(batches, optimizer, lr, step);
    }
}

package org.crate4j.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.crate4j.data.Batch;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.mae.CrateMae;

/**
 * CRATE-MAE pre-training (docs/architecture.md §2): the one {@link TrainLoop} on a {@link MaskedAutoencodingTask}
 * (masked-patch reconstruction, a held-out reconstruction loss and reconstructions every epoch),
 * with AdamW, per-step warm-up (a fraction of the steps) then cosine, gradient accumulation, an
 * optional time budget, an atomic checkpoint after every epoch and exact resume (weights,
 * optimizer state, schedule position, data order and masking noise). Data parallel through
 * {@link GradientSync}: W processes on batch B equal one on W·B.
 */
public final class MaePretrainer {
    public record Summary(double trainLoss, double valLoss, double epochs, long steps, double seconds, double imagesPerSec,
            Path lastCheckpoint) {}

    private final CrateMae model;
    private final PretrainOptions opt;
    private final Precision precision;
    private final GradientSync sync;
    private final Map<String, String> metadata;
    private final List<TrainingListener> listeners;
    private long stopAfterStep = Long.MAX_VALUE;
    private TrainLoop stepper;

    /** One process; see {@link #MaePretrainer(CrateMae, PretrainOptions, Precision, GradientSync, Map, List)}. */
    public MaePretrainer(CrateMae model, PretrainOptions opt, Precision precision, Map<String, String> metadata,
            List<TrainingListener> listeners) {
        this(model, opt, precision, GradientSync.none(), metadata, listeners);
    }

    /**
     * @param sync      data parallelism ({@code org.crate4j.dist.DataParallel}); in a data-parallel job only rank 0
     *                  writes files and tells its listeners
     * @param metadata  written into every checkpoint besides format and config (the input
     *                  normalisation, so reconstruct and linear-probe need no flags)
     * @param listeners told of the run's start, steps, epochs, checkpoints and end
     */
    public MaePretrainer(CrateMae model, PretrainOptions opt, Precision precision, GradientSync sync, Map<String, String> metadata,
            List<TrainingListener> listeners) {
        this.model = model;
        this.opt = opt;
        this.precision = precision;
        this.sync = sync;
        this.metadata = metadata;
        this.listeners = List.copyOf(listeners);
    }

    /** Ends the run after this global step as an interruption would (for tests of resume). */
    MaePretrainer stopAfterStep(long step) {
        stopAfterStep = step;
        return this;
    }

    public Path lastPath() {
        return opt.outDir().resolve("last.safetensors");
    }

    public Summary fit(Dataset train, Transform trainTf, Dataset val, Transform valTf) {
        TrainLoop loop = new TrainLoop(new MaskedAutoencodingTask(model, opt, precision, sync, metadata, val, valTf), opt.loop(),
                precision, sync, metadata, listeners).stopAfterStep(stopAfterStep);
        TrainLoop.Result r = loop.fit(train, trainTf);
        return new Summary(r.lastTrainLoss(), r.last().metrics().get("val_loss"), r.epochs(), r.steps(), r.seconds(), r.imagesPerSec(),
                r.lastCheckpoint());
    }

    /** One optimisation step on one batch; returns the loss. */
    double trainStep(Batch b, Optimizer optimizer, double lr, long step) {
        return trainStep(List.of(b), optimizer, lr, step).loss();
    }

    /** One optimizer step accumulated over {@code batches}; see {@link TrainLoop#trainStep}. */
    TrainLoop.StepResult trainStep(List<Batch> batches, Optimizer optimizer, double lr, long step) {
        if (stepper == null) {
            stepper = new TrainLoop(new MaskedAutoencodingTask(model, opt, precision, sync, metadata, null, null), opt.loop(), precision,
                    sync, metadata, List.of());
        }
        return stepper.trainStep(batches, optimizer, lr, step);
    }
}

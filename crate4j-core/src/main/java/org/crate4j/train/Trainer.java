package org.crate4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.engine.Device;
import org.crate4j.model.Crate;
import org.crate4j.model.ImageClassifier;
import org.crate4j.train.TrainingListener.Checkpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop: per-step warm-up + cosine schedule, label-smoothed cross-entropy, gradient
 * accumulation over micro-batches, global gradient clipping, AdamW or Lion, evaluation every
 * epoch, atomic last/best checkpoints and exact resume. Data parallel through {@link GradientSync};
 * rank 0 alone writes files and tells the {@link TrainingListener}s. Runs on the model's device;
 * with fp16 the loss is scaled ({@link LossScaler}). Any {@link ImageClassifier} family trains
 * here: weight decay follows each parameter's kind, and checkpoints hold the whole state dict
 * (ToST's BatchNorm statistics too). Built by {@link Training}.
 */
public final class Trainer {
    public record Summary(double top1, double top5, double epochs, long steps, double seconds, double imagesPerSec, Path lastCheckpoint) {}

    /** What one optimizer step measured on this process: mean loss, images right, gradient norm before clipping. */
    record StepResult(double loss, double correct, double gradNorm) {}

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final ImageClassifier model;
    private final TrainOptions opt;
    private final Precision precision;
    private final LossScaler scaler;
    private final GradientSync sync;
    private final Map<String, String> metadata;
    private final TrainingListener events;
    private long stopAfterStep = Long.MAX_VALUE;

    Trainer(ImageClassifier model, TrainOptions opt, Precision precision, GradientSync sync, Map<String, String> metadata,
            List<TrainingListener> listeners) {
        if (precision.scalesLoss() && opt.sam() > 0) {
            throw new CrateException("--sam with --precision fp16 is not supported (SAM's second gradient would need its own "
                    + "loss scale): use bf16 or fp32 with --sam");
        }
        this.model = model;
        this.opt = opt;
        this.precision = precision;
        this.scaler = LossScaler.forPrecision(precision);
        this.sync = sync;
        this.metadata = metadata;
        this.events = sync.rank() == 0 ? TrainingListener.all(listeners) : new TrainingListener() {};
    }

    /** Ends the run after this global step as an interruption would (for tests of --resume). */
    Trainer stopAfterStep(long step) {
        stopAfterStep = step;
        return this;
    }

    public Path lastPath() { return opt.outDir().resolve("last.safetensors"); }
    public Path bestPath() { return opt.outDir().resolve("best.safetensors"); }
    private boolean writer() { return sync.rank() == 0; }

    public Summary fit(Dataset train, Transform trainTf, Dataset val, Transform valTf) {
        long start = System.nanoTime();
        Map<String, Tensor> params = model.parameters().asMap();
        Map<String, org.crate4j.model.ParameterKind> kinds = model.kinds();
        Optimizer optimizer = opt.newOptimizer(params).decaying(name -> kinds.get(name).decays());
        int k = opt.accumSteps();
        DataLoader loader = new DataLoader(train, trainTf, opt.batch(), true, true, opt.seed(), opt.workers(), 4)
                .shard(sync.rank(), sync.worldSize()).onBadFile(DataIntegrity.forTraining(opt.strictData()));
        DataLoader valLoader = new DataLoader(val, valTf, Math.max(opt.batch(), 256), false, false, opt.seed(), opt.workers(), 2)
                .shard(sync.rank(), sync.worldSize()).onBadFile(DataIntegrity.forEvaluation(opt.strictData()));
        // optimizer steps; an epoch's last < k micro-batches are dropped, as drop_last drops a partial batch
        int perEpoch = loader.batchesPerEpoch() / k;
        if (perEpoch == 0) {
            throw new CrateException("the training set has " + train.size() + " images, fewer than one step of "
                    + globalBatch() + ": lower --batch" + (k > 1 ? " or --accum-steps" : ""));
        }
        TrainCheckpoint.State state = new TrainCheckpoint.State(0, 0, 0, plannedSteps(perEpoch), 0, 0, opt.optimizer(), sync.worldSize(), opt.seed(), globalBatch());
        if (opt.resume()) {
            state = resume(optimizer, perEpoch, train.size());
        }
        sync.prepare(params.values());
        sync.broadcast(params.values()); // after a resume every rank read the same file; this is cheap insurance
        events.onStart(new TrainingListener.Start(TrainingListener.Task.CLASSIFICATION, opt.outDir(), state.globalStep(), state.totalSteps(),
                perEpoch, globalBatch(), k, sync.worldSize(), opt.resume(), state.epoch() + state.batchInEpoch() / (double) perEpoch));
        boolean fitToBudget = opt.epochs() <= 0 && opt.timeBudgetMin() > 0;
        double budgetSec = opt.timeBudgetMin() > 0 ? opt.timeBudgetMin() * 60 : Double.POSITIVE_INFINITY;
        long imagesSeen = 0;
        double epochEndSeconds = 0; // measured: evaluation, metrics, plot and checkpoints at the end of an epoch
        Evaluation.Result last = null;
        long trainNanos = 0;
        boolean stop = false;
        long calibStep = 0;
        StepCosts costs = new StepCosts(); // steady s/step with and without patch dropout, measured after calibration
        int epoch = state.epoch();
        int skip = state.batchInEpoch();
        long step = state.globalStep();
        final long firstStep = step; // `state` is replaced every epoch; calibration counts from where this process began
        long total = state.totalSteps();
        double best = state.bestTop1();
        while (!stop && step < total) {
            loader.setEpoch(epoch);
            loader.skipBatches(skip * k);
            Iterator<Batch> micro = loader.iterator();
            double lossSum = 0, correct = 0, seen = 0, waitNs = 0;
            long epochStart = System.nanoTime();
            int batchIdx = skip;
            events.onEpochStart(epoch, perEpoch, skip);
            while (batchIdx < perEpoch) {
                List<Batch> batches = next(micro, k);
                double lr = new LrSchedule(opt.lr(), opt.minLr(), warmupSteps(perEpoch), total).at(step);
                model.patchDropout(patchDropoutAt(step, total));
                long t0 = System.nanoTime();
                StepResult r = trainStep(batches, optimizer, lr, step);
                long stepNanos = System.nanoTime() - t0;
                trainNanos += stepNanos;
                if (calibStep > 0) {
                    costs.add(model.patchDropout() > 0, stepNanos);
                }
                if (!Double.isFinite(r.loss())) {
                    throw new CrateException("loss became " + r.loss() + " at step " + step + " (epoch " + (epoch + 1)
                            + "); the last good checkpoint is kept at " + lastPath() + ": lower --lr or use --precision fp32");
                }
                int images = batches.stream().mapToInt(Batch::size).sum();
                lossSum += r.loss() * images;
                correct += r.correct();
                seen += images;
                waitNs += batches.stream().mapToLong(Batch::dataWaitNanos).sum();
                imagesSeen += images;
                step++;
                batchIdx++;
                double elapsed = (System.nanoTime() - start) / 1e9;
                double epochNanos = Math.max(1, System.nanoTime() - epochStart);
                events.onStep(new TrainingListener.Step(step, epoch, batchIdx, perEpoch, r.loss(), r.correct() / images, lr, r.gradNorm(),
                        images, seen * sync.worldSize() / (epochNanos / 1e9), waitNs / epochNanos));
                long sinceStart = step - firstStep;
                if (fitToBudget && sinceStart == calibrationSteps(perEpoch, k)) {
                    costs.first(model.patchDropout() > 0, trainNanos / 1e9 / sinceStart);
                    total = agreed(fitSteps(step, elapsed, budgetSec, costs, epochEndSeconds, val.size(), perEpoch, true));
                    calibStep = step;
                } else if (fitToBudget && calibStep > 0 && (step - calibStep) % replanEvery(k) == 0 && step < total - Math.max(10, total / 30)) {
                    // the first steps run slower (JIT, allocator warm-up): re-plan from the steady rate
                    long replanned = agreed(fitSteps(step, elapsed, budgetSec, costs, epochEndSeconds, val.size(), perEpoch, false));
                    if (Math.abs(replanned - total) > total / 20 && writer()) {
                        LOG.info("re-planned at step {}: {} steps (was {}; {} s/step, {} s elapsed)", step, replanned, total,
                                String.format("%.3f", costs.current(model.patchDropout() > 0)), String.format("%.0f", elapsed));
                    }
                    total = replanned;
                }
                if (step >= stopAfterStep) {
                    stop = true;
                    break;
                }
                boolean outOfTime = Double.isFinite(budgetSec) && agreed(elapsed
                        + epochEndEstimate(epochEndSeconds, val.size(), trainNanos / 1e9 / Math.max(1, step - firstStep)) > budgetSec ? 1 : 0) > 0;
                if (step >= total || outOfTime) {
                    stop = step < total || batchIdx < perEpoch;
                    break;
                }
            }
            boolean epochDone = batchIdx >= perEpoch;
            long te = System.nanoTime();
            last = Evaluation.run(model, valLoader, precision, sync);
            TrainingListener.BadData bad = new TrainingListener.BadData(DataIntegrity.badFiles(loader, sync), last.unreadable());
            double[] trainTotals = sync.sum(new double[] {lossSum, correct, seen});
            double epochPos = epoch + batchIdx / (double) perEpoch;
            int nextEpoch = epochDone ? epoch + 1 : epoch;
            int nextBatch = epochDone ? 0 : batchIdx;
            boolean improved = last.top1() > best;
            best = Math.max(best, last.top1());
            state = new TrainCheckpoint.State(nextEpoch, nextBatch, step, total, optimizer.steps(), best, opt.optimizer(), sync.worldSize(), opt.seed(),
                    globalBatch());
            if (writer()) {
                Map<String, Double> row = new LinkedHashMap<>();
                row.put("epoch", epochPos);
                row.put("step", (double) step);
                row.put("train_loss", trainTotals[0] / Math.max(1, trainTotals[2]));
                row.put("train_top1", trainTotals[1] / Math.max(1, trainTotals[2]));
                row.put("val_loss", last.loss());
                row.put("val_top1", last.top1());
                row.put("val_top5", last.top5());
                row.put("lr", new LrSchedule(opt.lr(), opt.minLr(), warmupSteps(perEpoch), total).at(Math.max(0, step - 1)));
                row.put("seconds", (System.nanoTime() - start) / 1e9);
                double loopSec = Math.max(1e-9, (te - epochStart) / 1e9); // the epoch's training loop, data waits included
                events.onEpoch(new TrainingListener.Epoch(epoch, epochPos, step, row, trainTotals[2] / loopSec, waitNs / 1e9 / loopSec, last.images(),
                        bad));
                save(lastPath(), optimizer, state);
                events.onCheckpoint(lastPath(), Checkpoint.LAST);
                if (improved) {
                    save(bestPath(), optimizer, state);
                    events.onCheckpoint(bestPath(), Checkpoint.BEST);
                }
            }
            epochEndSeconds = (System.nanoTime() - te) / 1e9;
            epoch = nextEpoch;
            skip = nextBatch;
        }
        if (last == null) { // nothing left to train (e.g. resuming a finished run): still report where it stands
            last = Evaluation.run(model, valLoader, precision, sync);
        }
        TrainingListener.BadData bad = new TrainingListener.BadData(DataIntegrity.badFiles(loader, sync), last.unreadable());
        loader.close();
        valLoader.close();
        double seconds = (System.nanoTime() - start) / 1e9;
        Summary s = new Summary(last.top1(), last.top5(), step / (double) perEpoch, step, seconds,
                imagesSeen * sync.worldSize() / Math.max(1e-9, trainNanos / 1e9), lastPath());
        Map<String, Double> finalMetrics = new LinkedHashMap<>();
        finalMetrics.put("val_loss", last.loss());
        finalMetrics.put("val_top1", last.top1());
        finalMetrics.put("val_top5", last.top5());
        events.onEnd(new TrainingListener.End(s.steps(), s.epochs(), seconds, s.imagesPerSec(), lastPath(), finalMetrics, bad));
        return s;
    }

    /** The next {@code k} micro-batches of the epoch: the inputs of one optimizer step. */
    static List<Batch> next(Iterator<Batch> micro, int k) {
        List<Batch> batches = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            batches.add(micro.next());
        }
        return batches;
    }

    /** One optimizer step on one batch (no accumulation). */
    StepResult trainStep(Batch b, Optimizer optimizer, double lr, long step) {
        return trainStep(List.of(b), optimizer, lr, step);
    }

    /**
     * One optimizer step whose gradient is accumulated over {@code batches} (equal-sized
     * micro-batches): clipped as a whole, then applied once. Everything it allocates dies with it.
     */
    StepResult trainStep(List<Batch> batches, Optimizer optimizer, double lr, long step) {
        model.train(true);
        try (PointerScope scope = new PointerScope()) {
            optimizer.zeroGrad();
            double[] lossCorrect = accumulateGradients(batches, step);
            if (opt.sam() > 0) { // the gradient that updates is taken at the worst nearby point
                Map<String, Tensor> moved = optimizer.perturb(opt.sam());
                optimizer.zeroGrad();
                accumulateGradients(batches, step);
                optimizer.restore(moved);
            }
            // fp16: unscale, then clip and update unless a gradient overflowed (the scale halves, the step is skipped)
            boolean finite = scaler.unscale(model.parameters().tensors());
            scaler.update(finite);
            double norm = Double.NaN;
            if (finite) {
                norm = opt.clipNorm() > 0 ? optimizer.clipGradNorm(opt.clipNorm()) : optimizer.gradNorm();
                optimizer.step(lr);
            }
            return new StepResult(lossCorrect[0], lossCorrect[1], norm);
        }
    }

    /**
     * Leaves in every {@code .grad} the gradient of the mean loss over all images of {@code batches}
     * on all processes: each micro-batch's mean loss is scaled by 1/K before its backward, autograd
     * sums the K gradients, and processes average once, after the last. Returns {mean loss, images
     * right} of this process.
     */
    private double[] accumulateGradients(List<Batch> batches, long step) {
        int k = batches.size();
        double loss = 0, correct = 0;
        for (int j = 0; j < k; j++) {
            sync.accumulateLocally(j < k - 1);
            try (PointerScope micro = new PointerScope()) {
                StepSeed.apply(opt.seed(), step * k + j, sync.rank()); // dropout is a function of the micro-batch: exact resume
                Batch b = batches.get(j);
                Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
                Tensor y = Torch.longs(model.device(), b.labels());
                Tensor logits = forward(x);
                Tensor l = Losses.crossEntropy(logits, y, opt.labelSmoothing());
                scaler.scale(k == 1 ? l : l.div(new Scalar(k))).backward();
                loss += l.item_double() / k;
                correct += logits.argmax(new LongOptional(1), false).eq(y).sum().item_double();
            }
        }
        sync.averageGradients(model.parameters().tensors());
        return new double[] {loss, correct};
    }

    /** The model's logits under the run's precision (autocast for bf16). */
    private Tensor forward(Tensor images) {
        try (Precision.Scope ac = precision.enter(model.device())) {
            return model.forward(images);
        }
    }

    /** The patch-dropout rate of a step: {@code opt.patchDropout()} for the first {@code patchDropoutUntil} of the steps, then 0. */
    double patchDropoutAt(long step, long total) {
        return step < opt.patchDropoutUntil() * total ? opt.patchDropout() : 0;
    }

    /** Per-process batch × accumulation steps × processes: what one optimizer step sees. */
    private int globalBatch() {
        return opt.globalBatch(sync.worldSize());
    }

    /**
     * Rank 0's value, on every rank. Decisions taken from each rank's own clock (the time budget)
     * must agree, or one rank would stop while the others wait for it in an allreduce.
     */
    private long agreed(long value) {
        if (sync.worldSize() == 1) {
            return value;
        }
        return Math.round(sync.sum(new double[] {sync.rank() == 0 ? value : 0})[0]);
    }

    private long plannedSteps(int perEpoch) {
        if (opt.epochs() <= 0 && opt.timeBudgetMin() <= 0) {
            throw new CrateException("neither --epochs nor --time-budget is set: give one of them");
        }
        int epochs = opt.epochs() > 0 ? opt.epochs() : 1000; // with a budget: refined once throughput is known
        return (long) epochs * perEpoch;
    }

    private long warmupSteps(int perEpoch) {
        return Math.max(1, Math.round(opt.warmupEpochs() * perEpoch));
    }

    /**
     * Steps timed before the first plan: 5 to 30 passes' worth (a quarter epoch), counted in
     * micro-batches since warm-up (JIT, allocator) is per pass, but at least 2 optimizer steps.
     */
    static int calibrationSteps(int perEpoch, int accumSteps) {
        int passes = Math.max(5, Math.min(30, perEpoch * accumSteps / 4));
        return Math.max(2, (passes + accumSteps - 1) / accumSteps);
    }

    /** Steps between re-plans: about 25 passes. */
    static int replanEvery(int accumSteps) {
        return Math.max(1, 25 / accumSteps);
    }

    /**
     * Plans the total steps so that training plus its end-of-epoch work (evaluation, metrics,
     * checkpoints; {@link #epochEndEstimate}) ends inside the budget. With patch dropout for the
     * first part of the steps, the two parts are costed separately.
     */
    private long fitSteps(long step, double elapsed, double budgetSec, StepCosts costs, double epochEndMeasured, int valImages,
            int perEpoch, boolean say) {
        double full = costs.full(dropRatio()), dropping = costs.dropping(dropRatio());
        double perEpochEnd = epochEndEstimate(epochEndMeasured, valImages, full);
        double left = budgetSec - elapsed - 3;
        long steps = step;
        for (int i = 0; i < 3; i++) {
            double epochsLeft = Math.ceil(Math.max(1, steps) / (double) perEpoch) - Math.floor(step / (double) perEpoch);
            steps = stepsWithin(step, Math.max(0, left - perEpochEnd * (epochsLeft + 0.5)), dropping, full);
        }
        if (say && writer()) {
            LOG.info(String.format("time budget %.1f min: %.3f s/step measured, planning %d steps (%.2f epochs; re-planned as the rate settles)",
                    budgetSec / 60, costs.current(model.patchDropout() > 0), steps, steps / (double) perEpoch));
        }
        return Math.max(step, steps);
    }

    /** The largest total T whose steps from {@code step} on fit in {@code seconds}: those before the patch-dropout switch cost {@code dropping}, the rest {@code full}. */
    long stepsWithin(long step, double seconds, double dropping, double full) {
        long lo = step, hi = step + (long) Math.ceil(seconds / Math.min(dropping, full)) + 1;
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            double sw = opt.patchDropout() > 0 ? Math.min(mid, Math.max(step, opt.patchDropoutUntil() * mid)) : step;
            double cost = (sw - step) * dropping + (mid - sw) * full;
            if (cost <= seconds) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** How much more a step on every patch costs than one with patch dropout, before both are measured: the token ratio. */
    private double dropRatio() {
        ImageClassifier.Sizes s = model.sizes();
        long n = (long) (s.imageHeight() / s.patchSize()) * (s.imageWidth() / s.patchSize());
        long keep = Crate.keptPatches(n, opt.patchDropout());
        return (n + 1) / (double) (keep + 1);
    }

    /** Seconds per train step with and without patch dropout: measured means, the unmeasured one scaled from the other. */
    static final class StepCosts {
        private final double[] nanos = new double[2];
        private final long[] count = new long[2];
        private final double[] first = {Double.NaN, Double.NaN};

        void first(boolean dropping, double secPerStep) { first[dropping ? 0 : 1] = secPerStep; }

        void add(boolean dropping, long stepNanos) {
            nanos[dropping ? 0 : 1] += stepNanos;
            count[dropping ? 0 : 1]++;
        }

        private double measured(int i) {
            return count[i] >= 10 ? nanos[i] / 1e9 / count[i] : first[i];
        }

        double current(boolean dropping) { return dropping ? dropping(1) : full(1); }

        double full(double ratio) {
            double f = measured(1);
            return Double.isNaN(f) ? measured(0) * ratio : f;
        }

        double dropping(double ratio) {
            double d = measured(0);
            return Double.isNaN(d) ? measured(1) / ratio : d;
        }
    }

    /**
     * Seconds the end-of-epoch work (evaluation, metrics, plot, checkpoints) will take: as last
     * measured, with a margin, once an epoch has ended; before, from the train rate (a forward pass
     * costs about a quarter of a train step per image, and evaluation is split over the processes).
     * The planner and the hard stop at the budget both use it.
     */
    private double epochEndEstimate(double measured, int valImages, double secPerFullStep) {
        double imagesPerStep = opt.batch() * (double) opt.accumSteps();
        return measured > 0 ? measured * 1.1 + 0.5 : valImages / (double) sync.worldSize() * secPerFullStep / imagesPerStep / 4 + 2;
    }

    private TrainCheckpoint.State resume(Optimizer optimizer, int perEpoch, int trainSize) {
        Path file = lastPath();
        TrainCheckpoint.requireResumable(file, CheckpointKind.ofFormat(model.format()));
        TrainCheckpoint.State s = TrainCheckpoint.readState(file);
        WeightsFile weights = WeightsFile.read(file);
        String saved = weights.metadata().get("config");
        if (!model.sameConfig(saved)) {
            throw new CrateException("--resume: " + file + " holds a different architecture (" + saved
                    + ") than requested (" + model.configJson() + "): use the same --model or a new --out");
        }
        if (!s.optimizer().equalsIgnoreCase(opt.optimizer())) {
            throw new CrateException("--resume: checkpoint was trained with " + s.optimizer() + ", not " + opt.optimizer());
        }
        restoreState(file, weights);
        TrainCheckpoint.restoreOptimizer(file, optimizer, s);
        scaler.restore(weights.metadata());
        if (s.globalBatch() != globalBatch() && (s.globalBatch() > 0 || s.worldSize() != sync.worldSize())) {
            // Another global batch means other batches: continue at the next epoch boundary, with the
            // step counters rescaled so that the schedule stays at the same fraction of training.
            int epoch = s.batchInEpoch() == 0 ? s.epoch() : s.epoch() + 1;
            long step = s.globalStep(), total = s.totalSteps();
            if (s.globalBatch() > 0) {
                double oldPerEpoch = Math.max(1, trainSize / s.globalBatch());
                step = (long) epoch * perEpoch;
                total = Math.round(s.totalSteps() / oldPerEpoch * perEpoch);
            }
            s = new TrainCheckpoint.State(epoch, 0, step, total, s.optimizerSteps(), s.bestTop1(), s.optimizer(), sync.worldSize(),
                    s.seed(), globalBatch());
        }
        if (opt.epochs() > 0 && (long) opt.epochs() * perEpoch != s.totalSteps()) {
            // (after any rescaling above) an explicit --epochs on resume extends (or shortens) the schedule from here on
            s = new TrainCheckpoint.State(s.epoch(), s.batchInEpoch(), s.globalStep(), (long) opt.epochs() * perEpoch,
                    s.optimizerSteps(), s.bestTop1(), s.optimizer(), s.worldSize(), s.seed(), s.globalBatch());
        }
        if (writer()) {
            LOG.info("resuming {} at epoch {}, step {} of the epoch (step {} of {})", file, s.epoch() + 1, s.batchInEpoch(), s.globalStep(),
                    s.totalSteps());
        }
        return s;
    }

    /** Copies every tensor of the checkpoint's state dict into the model's, in place, after checking keys and shapes. */
    private void restoreState(Path file, WeightsFile weights) {
        Map<String, long[]> expected = new LinkedHashMap<>();
        model.stateDict().forEach((k, t) -> expected.put(k, Torch.shape(t)));
        StateDictCheck.requireExact(file.toString(), expected, weights.shapes(), "the run's model");
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard(); PointerScope scope = new PointerScope()) {
            model.stateDict().forEach((k, t) -> {
                RawTensor raw = weights.tensors().get(k);
                t.copy_(Torch.floats(Device.CPU, raw.toFloats(), raw.shape()));
            });
        }
    }

    private void save(Path file, Optimizer optimizer, TrainCheckpoint.State state) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", model.format());
        meta.put("config", model.configJson());
        if (scaler.enabled()) {
            meta.put(LossScaler.METADATA_KEY, scaler.toMetadata());
        }
        TrainCheckpoint.write(file, model.stateDict(), optimizer, state, meta);
    }
}

package org.crate4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.ThreadShards;
import org.crate4j.train.TrainingListener.Checkpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one training loop, for every {@link TrainingTask}: per-step warm-up + cosine schedule,
 * gradient accumulation over micro-batches, global gradient clipping, the task's evaluation every
 * epoch, atomic last (and best) checkpoints and exact resume ({@link TrainCheckpoint}), a time
 * budget ({@link BudgetPlanner}). Data parallel through {@link GradientSync}: rank 0's weights
 * are broadcast, gradients averaged, each rank reads its shard; rank 0 alone writes files and
 * tells the {@link TrainingListener}s. With fp16 the loss is scaled ({@link LossScaler}).
 */
final class TrainLoop {
    /** What one optimizer step measured on this process: mean loss, images right (NaN if the task does not classify), gradient norm before clipping. */
    record StepResult(double loss, double correct, double gradNorm) {}

    /** Where a run ended: the last evaluation and the last epoch's training loss (over all processes). */
    record Result(long steps, double epochs, double seconds, double imagesPerSec, Path lastCheckpoint,
            TrainingTask.Evaluated last, double lastTrainLoss) {}

    private static final Logger LOG = LoggerFactory.getLogger(TrainLoop.class);

    private final TrainingTask task;
    private final LoopOptions opt;
    private final LossScaler scaler;
    private final GradientSync sync;
    private final Map<String, String> metadata;
    private final TrainingListener events;
    /** Whether a micro-batch's random draws differ between ranks (dropout) or are the same everywhere (the MAE's global masks). */
    private final boolean seedPerRank;
    private long stopAfterStep = Long.MAX_VALUE;

    /** @param metadata written into every checkpoint besides the task's format and config */
    TrainLoop(TrainingTask task, LoopOptions opt, Precision precision, GradientSync sync, Map<String, String> metadata,
            List<TrainingListener> listeners) {
        checkPrecision(opt, precision);
        this.task = task;
        this.opt = opt;
        this.scaler = LossScaler.forPrecision(precision);
        this.sync = sync;
        this.metadata = metadata;
        this.seedPerRank = task.drawsPerRank();
        this.events = sync.rank() == 0 ? TrainingListener.all(listeners) : new TrainingListener() {};
    }

    /** Refuses what the loop cannot do at {@code precision}, before anything runs. */
    static void checkPrecision(LoopOptions opt, Precision precision) {
        if (precision.scalesLoss() && opt.sam() > 0) {
            throw new CrateException("--sam with --precision fp16 is not supported (SAM's second gradient would need its own "
                    + "loss scale): use bf16 or fp32 with --sam");
        }
    }

    /** Ends the run after this global step as an interruption would (for tests of resume). */
    TrainLoop stopAfterStep(long step) {
        stopAfterStep = step;
        return this;
    }

    Path lastPath() { return opt.outDir().resolve("last.safetensors"); }
    Path bestPath() { return opt.outDir().resolve("best.safetensors"); }
    private boolean writer() { return sync.rank() == 0; }

    /** Trains on {@code train} to the end of the schedule (or the budget); the task's resources are closed at the end. */
    Result fit(Dataset train, Transform trainTf) {
        try (DataLoader loader = new DataLoader(train, trainTf, opt.batch(), true, true, opt.seed(), opt.workers(), 4)
                .shard(sync.rank(), sync.worldSize()).onBadFile(DataIntegrity.forTraining(opt.strictData()))) {
            return fit(loader, train.size());
        } finally {
            task.close();
        }
    }

    private Result fit(DataLoader loader, int trainSize) {
        long start = System.nanoTime();
        Map<String, Tensor> params = task.parameters().asMap();
        Optimizer optimizer = opt.newOptimizer().apply(params);
        if (task.decays() != null) {
            optimizer.decaying(task.decays());
        }
        int k = opt.accumSteps();
        // optimizer steps; an epoch's last < k micro-batches are dropped, as drop_last drops a partial batch
        int perEpoch = loader.batchesPerEpoch() / k;
        if (perEpoch == 0) {
            throw new CrateException("the training set has " + trainSize + " images, fewer than one step of "
                    + globalBatch() + ": lower --batch" + (k > 1 ? " or --accum-steps" : ""));
        }
        BudgetPlanner planner = new BudgetPlanner(opt, sync, task.cheapRatio());
        int calibration = BudgetPlanner.calibrationSteps(perEpoch, k);
        TrainCheckpoint.State state = new TrainCheckpoint.State(0, 0, 0, plannedSteps(perEpoch, calibration), 0, 0, opt.optimizer(),
                sync.worldSize(), opt.seed(), globalBatch());
        boolean fitToBudget = planner.fits();
        if (opt.resume()) {
            state = resume(optimizer, perEpoch, trainSize);
            fitToBudget &= opt.warmup().replansOnResume();
        }
        sync.prepare(params.values(), task.leavesParametersUnused());
        sync.broadcast(params.values()); // rank 0's initial weights everywhere; after a resume, cheap insurance
        events.onStart(new TrainingListener.Start(task.kind(), opt.outDir(), state.globalStep(), state.totalSteps(),
                perEpoch, globalBatch(), k, sync.worldSize(), opt.resume(), state.epoch() + state.batchInEpoch() / (double) perEpoch));
        long evalImages = task.evaluationImages();
        long imagesSeen = 0;
        double epochEndSeconds = 0; // measured: evaluation, metrics, plot and checkpoints at the end of an epoch
        TrainingTask.Evaluated last = null;
        double lastTrainLoss = Double.NaN;
        long trainNanos = 0;
        boolean stop = false;
        long calibStep = 0;
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
                double lr = opt.schedule(perEpoch, total).at(step);
                task.beforeStep(step, total);
                long t0 = System.nanoTime();
                StepResult r = trainStep(batches, optimizer, lr, step);
                long stepNanos = System.nanoTime() - t0;
                trainNanos += stepNanos;
                if (calibStep > 0) {
                    planner.addStep(task.cheapStep(), stepNanos);
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
                if (fitToBudget && sinceStart == calibration) {
                    total = planner.firstPlan(step, elapsed, task.cheapStep(), trainNanos / 1e9 / sinceStart, epochEndSeconds, evalImages,
                            perEpoch);
                    calibStep = step;
                } else if (fitToBudget && planner.replanDue(step, calibStep, total)) {
                    // the first steps run slower (JIT, allocator warm-up): re-plan from the steady rate
                    total = planner.replan(step, total, elapsed, task.cheapStep(), epochEndSeconds, evalImages, perEpoch);
                }
                if (step >= stopAfterStep) {
                    stop = true;
                    break;
                }
                boolean outOfTime = planner.outOfTime(elapsed, epochEndSeconds, evalImages, trainNanos / 1e9 / Math.max(1, step - firstStep));
                if (step >= total || outOfTime) {
                    stop = step < total || batchIdx < perEpoch;
                    break;
                }
            }
            boolean epochDone = batchIdx >= perEpoch;
            long te = System.nanoTime();
            last = task.evaluate();
            TrainingListener.BadData bad = new TrainingListener.BadData(DataIntegrity.badFiles(loader, sync), last.unreadable());
            double[] trainTotals = sync.sum(new double[] {lossSum, correct, seen});
            lastTrainLoss = trainTotals[0] / Math.max(1, trainTotals[2]);
            double epochPos = epoch + batchIdx / (double) perEpoch;
            int nextEpoch = epochDone ? epoch + 1 : epoch;
            int nextBatch = epochDone ? 0 : batchIdx;
            boolean improved = last.score() > best; // false for a task that keeps no best (NaN)
            best = improved ? last.score() : best;
            state = new TrainCheckpoint.State(nextEpoch, nextBatch, step, total, optimizer.steps(), best, opt.optimizer(), sync.worldSize(),
                    opt.seed(), globalBatch());
            if (writer()) {
                Map<String, Double> row = new LinkedHashMap<>();
                row.put("epoch", epochPos);
                row.put("step", (double) step);
                row.put("train_loss", lastTrainLoss);
                if (!Double.isNaN(trainTotals[1])) {
                    row.put("train_top1", trainTotals[1] / Math.max(1, trainTotals[2]));
                }
                row.putAll(last.metrics());
                row.put("lr", opt.schedule(perEpoch, total).at(Math.max(0, step - 1)));
                row.put("seconds", (System.nanoTime() - start) / 1e9);
                row.put("images_per_sec", imagesSeen * sync.worldSize() / Math.max(1e-9, trainNanos / 1e9));
                double loopSec = Math.max(1e-9, (te - epochStart) / 1e9); // the epoch's training loop, data waits included
                task.afterEpoch(opt.outDir());
                events.onEpoch(new TrainingListener.Epoch(epoch, epochPos, step, row, trainTotals[2] / loopSec, waitNs / 1e9 / loopSec,
                        last.images(), bad));
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
            last = task.evaluate();
        }
        TrainingListener.BadData bad = new TrainingListener.BadData(DataIntegrity.badFiles(loader, sync), last.unreadable());
        double seconds = (System.nanoTime() - start) / 1e9;
        Result result = new Result(step, step / (double) perEpoch, seconds,
                imagesSeen * sync.worldSize() / Math.max(1e-9, trainNanos / 1e9), lastPath(), last, lastTrainLoss);
        events.onEnd(new TrainingListener.End(result.steps(), result.epochs(), seconds, result.imagesPerSec(), lastPath(),
                task.finalMetrics(last, lastTrainLoss), bad));
        return result;
    }

    /** The next {@code k} micro-batches of the epoch: the inputs of one optimizer step. */
    static List<Batch> next(Iterator<Batch> micro, int k) {
        List<Batch> batches = new ArrayList<>(k);
        for (int j = 0; j < k; j++) {
            batches.add(micro.next());
        }
        return batches;
    }

    /**
     * One optimizer step whose gradient is accumulated over {@code batches} (equal-sized
     * micro-batches): clipped as a whole, then applied once. Everything it allocates dies with it.
     */
    StepResult trainStep(List<Batch> batches, Optimizer optimizer, double lr, long step) {
        task.train(true);
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
            boolean finite = scaler.unscale(task.parameters().tensors());
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
     * A micro-batch (one of {@code k}) cut into row shards, each one's loss and backward on a
     * thread of its own ({@link ThreadShards}): the gradients sum to the whole micro-batch's, as
     * each shard's mean loss is weighted by its share of the rows. Returns the micro-batch's loss
     * (already divided by {@code k}) and its images classified right.
     */
    private double[] shardedBackward(TrainingTask.RowsLoss split, int size, int k, int shards) {
        long[][] rows = ThreadShards.ranges(size, shards);
        List<double[]> parts = ThreadShards.backward(task.parameters().tensors(), shards, i -> {
            TrainingTask.Loss l = split.of((int) rows[i][0], (int) rows[i][1]);
            double share = rows[i][1] / (double) size / k;
            return new ThreadShards.Loss<>(scaler.scale(l.loss().mul(new Scalar(share))),
                    new double[] {l.loss().item_double() * share, l.correct()});
        });
        double loss = 0, correct = 0;
        for (double[] p : parts) {
            loss += p[0];
            correct += p[1];
        }
        return new double[] {loss, correct};
    }

    /**
     * Leaves in every {@code .grad} the gradient of the mean loss over all images of {@code batches}
     * on all processes: each micro-batch's mean loss is scaled by 1/K before its backward, autograd
     * sums the K gradients, and processes average once, after the last. Returns {mean loss, images
     * right} of this process. A micro-batch whose rows allow it runs as row shards ({@link #shardedBackward}).
     */
    private double[] accumulateGradients(List<Batch> batches, long step) {
        int k = batches.size();
        double loss = 0, correct = 0;
        for (int j = 0; j < k; j++) {
            sync.accumulateLocally(j < k - 1);
            try (PointerScope micro = new PointerScope()) {
                // what a micro-batch draws (dropout, masks) is a function of its position: exact resume
                StepSeed.apply(opt.seed(), step * k + j, seedPerRank ? sync.rank() : 0);
                Batch batch = batches.get(j);
                int shards = sync.worldSize() == 1 ? ThreadShards.count(task.device(), batch.size()) : 1;
                TrainingTask.RowsLoss split = shards > 1 ? task.splitRows(batch, step, j) : null;
                if (split != null) {
                    double[] lc = shardedBackward(split, batch.size(), k, shards);
                    loss += lc[0];
                    correct += lc[1];
                    continue;
                }
                TrainingTask.Loss l = task.loss(batch, step, j);
                scaler.scale(k == 1 ? l.loss() : l.loss().div(new Scalar(k))).backward();
                loss += l.loss().item_double() / k;
                correct += l.correct();
            }
        }
        sync.averageGradients(task.parameters().tensors());
        return new double[] {loss, correct};
    }

    /** Per-process batch × accumulation steps × processes: what one optimizer step sees. */
    private int globalBatch() {
        return opt.globalBatch(sync.worldSize());
    }

    private long plannedSteps(int perEpoch, int calibration) {
        if (opt.epochs() <= 0 && opt.timeBudgetMin() <= 0) {
            throw new CrateException("neither --epochs nor --time-budget is set: give one of them");
        }
        // with a budget: a provisional length, refined once throughput is known
        return opt.epochs() > 0 ? (long) opt.epochs() * perEpoch : opt.warmup().provisionalSteps(perEpoch, calibration);
    }

    private TrainCheckpoint.State resume(Optimizer optimizer, int perEpoch, int trainSize) {
        Path file = lastPath();
        TrainCheckpoint.requireResumable(file, task.checkpointKind());
        TrainCheckpoint.State s = TrainCheckpoint.readState(file);
        task.restore(file);
        if (!s.optimizer().equalsIgnoreCase(opt.optimizer())) {
            throw new CrateException("--resume: checkpoint was trained with " + s.optimizer() + ", not " + opt.optimizer());
        }
        TrainCheckpoint.restoreOptimizer(file, optimizer, s);
        scaler.restore(WeightsFile.read(file).metadata());
        s = ResumePosition.continued(s, perEpoch, trainSize, globalBatch(), sync.worldSize(), opt.epochs());
        if (writer()) {
            LOG.info("resuming {} at epoch {}, step {} of the epoch (step {} of {})", file,
                    s.epoch() + 1, s.batchInEpoch(), s.globalStep(), s.totalSteps());
        }
        return s;
    }

    private void save(Path file, Optimizer optimizer, TrainCheckpoint.State state) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putAll(task.checkpointMetadata());
        if (scaler.enabled()) {
            meta.put(LossScaler.METADATA_KEY, scaler.toMetadata());
        }
        TrainCheckpoint.write(file, task.checkpointTensors(), optimizer, state, meta);
    }
}

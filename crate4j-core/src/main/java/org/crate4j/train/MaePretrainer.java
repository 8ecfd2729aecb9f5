package org.crate4j.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.MaeWeights;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Datasets;
import org.crate4j.data.Image;
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.Masking;
import org.crate4j.train.TrainingListener.Checkpoint;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.ReconstructionSheet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRATE-MAE pre-training (SPEC §2): masked-patch reconstruction with AdamW, per-step warm-up then
 * cosine, gradient accumulation over micro-batches, optional time budget (the cosine is fitted to
 * it from the measured step time), a held-out reconstruction loss, reconstructions and an atomic
 * checkpoint after every epoch, and exact resume (weights, optimizer state, schedule position,
 * data order and masking noise). Runs on the model's device; with fp16 the loss is scaled
 * ({@link LossScaler}). Progress, metrics files and console lines are {@link TrainingListener}s.
 */
public final class MaePretrainer {
    public record Summary(double trainLoss, double valLoss, double epochs, long steps, double seconds, double imagesPerSec,
            Path lastCheckpoint) {}

    private static final Logger LOG = LoggerFactory.getLogger(MaePretrainer.class);
    /** Held-out images for the per-epoch loss (with fixed masks) and the reconstruction sheet. */
    private static final int VAL_IMAGES = 2000, SHEET_IMAGES = 8;
    /** Masks of the held-out images: a function of the image index alone. */
    private static final long VAL_MASK_SEED = 12345;
    /** Passes skipped before timing (JIT, allocator warm-up), then passes timed before the first plan, then between plans. */
    private static final int TIMING_SKIP = 5, TIMING_STEPS = 20, REPLAN_EVERY = 25;

    private final CrateMae model;
    private final PretrainOptions opt;
    private final Precision precision;
    private final LossScaler scaler;
    private final Map<String, String> metadata;
    private final TrainingListener events;
    private long stopAfterStep = Long.MAX_VALUE;

    /**
     * @param metadata  written into every checkpoint besides format and config (the input
     *                  normalisation, so reconstruct and linear-probe need no flags)
     * @param listeners told of the run's start, steps, epochs, checkpoints and end
     */
    public MaePretrainer(CrateMae model, PretrainOptions opt, Precision precision, Map<String, String> metadata,
            List<TrainingListener> listeners) {
        this.model = model;
        this.opt = opt;
        this.precision = precision;
        this.scaler = LossScaler.forPrecision(precision);
        this.metadata = metadata;
        this.events = TrainingListener.all(listeners);
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
        long start = System.nanoTime();
        int k = opt.accumSteps();
        AdamW optimizer = new AdamW(model.parameters().asMap(), opt.weightDecay(), opt.beta1(), opt.beta2(), 1e-8);
        DataLoader loader = new DataLoader(train, trainTf, opt.batch(), true, true, opt.seed(), opt.workers(), 4)
                .onBadFile(DataIntegrity.forTraining(opt.strictData()));
        Dataset held = Datasets.head(val, VAL_IMAGES);
        DataLoader valLoader = new DataLoader(held, valTf, Math.max(opt.batch(), 256), false, false, opt.seed(), opt.workers(), 2)
                .onBadFile(DataIntegrity.forEvaluation(opt.strictData()));
        int perEpoch = loader.batchesPerEpoch() / k; // optimizer steps; an epoch's last < k micro-batches are dropped
        if (perEpoch == 0) {
            throw new CrateException("the training set has " + train.size() + " images, fewer than one step of " + opt.globalBatch()
                    + ": lower --batch" + (k > 1 ? " or --accum-steps" : ""));
        }
        boolean fitToBudget = opt.epochs() <= 0 && opt.timeBudgetMin() > 0;
        if (opt.epochs() <= 0 && !fitToBudget) {
            throw new CrateException("pre-training needs a length: give --epochs or --time-budget");
        }
        int timingSkip = steps(TIMING_SKIP, k), timingSteps = steps(TIMING_STEPS, k), replanEvery = steps(REPLAN_EVERY, k);
        // with a budget, a provisional length whose warm-up spans the timed steps, re-planned once they are timed
        long planned = fitToBudget ? Math.max(1, Math.round((timingSkip + timingSteps) / Math.max(1e-3, opt.warmupFraction())))
                : (long) opt.epochs() * perEpoch;
        TrainCheckpoint.State state = new TrainCheckpoint.State(0, 0, 0, planned, 0, 0, "adamw", 1, opt.seed(), opt.globalBatch());
        if (opt.resume()) {
            state = resume(optimizer);
            fitToBudget = false; // the schedule was fixed by the first run; the budget only stops this one
        }
        events.onStart(new TrainingListener.Start(TrainingListener.Task.MASKED_AUTOENCODING, opt.outDir(), state.globalStep(),
                state.totalSteps(), perEpoch, opt.globalBatch(), k, 1, opt.resume(), state.epoch() + state.batchInEpoch() / (double) perEpoch));
        double budgetSec = opt.timeBudgetMin() > 0 ? opt.timeBudgetMin() * 60 : Double.POSITIVE_INFINITY;
        int epoch = state.epoch(), skip = state.batchInEpoch();
        long step = state.globalStep(), total = state.totalSteps(), firstStep = step;
        long imagesSeen = 0, loopNanos = 0, timedFrom = -1;
        double evalSeconds = 2 + VAL_IMAGES / 1000.0, lastTrain = Double.NaN, lastVal = Double.NaN;
        long heldImages = 0;
        boolean stop = false;
        while (!stop && step < total) {
            loader.setEpoch(epoch);
            loader.skipBatches(skip * k);
            Iterator<Batch> micro = loader.iterator();
            double lossSum = 0, waitNs = 0;
            long seen = 0, epochStart = System.nanoTime(), tick = System.nanoTime();
            int batchIdx = skip;
            events.onEpochStart(epoch, perEpoch, skip);
            while (batchIdx < perEpoch) {
                List<Batch> batches = Trainer.next(micro, k);
                LrSchedule schedule = new LrSchedule(opt.lr(), opt.minLr(), opt.warmupSteps(total), total);
                double lr = schedule.at(step);
                double[] lossNorm = trainStep(batches, optimizer, lr, step);
                double loss = lossNorm[0];
                if (!Double.isFinite(loss)) {
                    throw new CrateException("loss became " + loss + " at step " + step + " (epoch " + (epoch + 1)
                            + "); the last good checkpoint is kept at " + lastPath() + ": lower --lr/--blr or use --precision fp32");
                }
                int images = batches.stream().mapToInt(Batch::size).sum();
                lossSum += loss * images;
                seen += images;
                imagesSeen += images;
                waitNs += batches.stream().mapToLong(Batch::dataWaitNanos).sum();
                step++;
                batchIdx++;
                long now = System.nanoTime();
                loopNanos += now - tick;
                tick = now;
                double epochNanos = Math.max(1, now - epochStart);
                events.onStep(new TrainingListener.Step(step, epoch, batchIdx, perEpoch, loss, Double.NaN, lr, lossNorm[1], images,
                        seen / (epochNanos / 1e9), waitNs / epochNanos));
                long done = step - firstStep;
                if (done == timingSkip) {
                    timedFrom = loopNanos;
                }
                if (fitToBudget && done >= timingSkip + timingSteps && (done - timingSkip - timingSteps) % replanEvery == 0
                        && step < total - total / 10) {
                    double secPerStep = (loopNanos - timedFrom) / 1e9 / (done - timingSkip);
                    long replanned = fitSteps(step, (now - start) / 1e9, budgetSec, secPerStep, evalSeconds, perEpoch);
                    if (done == timingSkip + timingSteps) {
                        LOG.info(String.format("time budget %.1f min: %.3f s/step, planning %d steps (%.2f epochs)", budgetSec / 60,
                                secPerStep, replanned, replanned / (double) perEpoch));
                    }
                    total = replanned;
                }
                if (step >= stopAfterStep) {
                    stop = true;
                    break;
                }
                if (step >= total || (now - start) / 1e9 + evalSeconds + 3 > budgetSec) {
                    stop = step < total || batchIdx < perEpoch;
                    break;
                }
            }
            boolean epochDone = batchIdx >= perEpoch;
            long te = System.nanoTime();
            lastTrain = lossSum / Math.max(1, seen);
            double[] heldOut = heldOutLoss(valLoader);
            lastVal = heldOut[0];
            heldImages = (long) heldOut[1];
            writeSheet(held, valTf, valLoader);
            int nextEpoch = epochDone ? epoch + 1 : epoch;
            int nextBatch = epochDone ? 0 : batchIdx;
            state = new TrainCheckpoint.State(nextEpoch, nextBatch, step, total, optimizer.steps(), 0, "adamw", 1, opt.seed(), opt.globalBatch());
            double epochPos = epoch + batchIdx / (double) perEpoch;
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("epoch", epochPos);
            row.put("step", (double) step);
            row.put("train_loss", lastTrain);
            row.put("val_loss", lastVal);
            row.put("lr", new LrSchedule(opt.lr(), opt.minLr(), opt.warmupSteps(total), total).at(Math.max(0, step - 1)));
            row.put("seconds", (System.nanoTime() - start) / 1e9);
            row.put("images_per_sec", imagesSeen / Math.max(1e-9, loopNanos / 1e9));
            double loopSec = Math.max(1e-9, (te - epochStart) / 1e9);
            events.onEpoch(new TrainingListener.Epoch(epoch, epochPos, step, row, seen / loopSec, waitNs / 1e9 / loopSec, heldImages,
                    new TrainingListener.BadData(loader.badFiles(), valLoader.badFiles())));
            save(optimizer, state);
            events.onCheckpoint(lastPath(), Checkpoint.LAST);
            evalSeconds = (System.nanoTime() - te) / 1e9;
            epoch = nextEpoch;
            skip = nextBatch;
        }
        loader.close();
        valLoader.close();
        Summary s = new Summary(lastTrain, lastVal, step / (double) perEpoch, step, (System.nanoTime() - start) / 1e9,
                imagesSeen / Math.max(1e-9, loopNanos / 1e9), lastPath());
        Map<String, Double> finalMetrics = new LinkedHashMap<>();
        finalMetrics.put("train_loss", lastTrain);
        finalMetrics.put("val_loss", lastVal);
        events.onEnd(new TrainingListener.End(s.steps(), s.epochs(), s.seconds(), s.imagesPerSec(), lastPath(), finalMetrics,
                new TrainingListener.BadData(loader.badFiles(), valLoader.badFiles())));
        return s;
    }

    /** {@code passes} forward-backward passes in optimizer steps of {@code k} passes, at least one. */
    private static int steps(int passes, int k) {
        return Math.max(1, (passes + k - 1) / k);
    }

    /** One optimisation step on one batch; returns the loss. */
    double trainStep(Batch b, Optimizer optimizer, double lr, long step) {
        return trainStep(List.of(b), optimizer, lr, step)[0];
    }

    /**
     * One optimizer step whose gradient is accumulated over {@code batches} (equal-sized
     * micro-batches, each loss scaled by 1/K: the gradient of the mean over all their images),
     * clipped as a whole; returns {mean loss, gradient norm before clipping}. Everything it
     * allocates dies with it.
     */
    double[] trainStep(List<Batch> batches, Optimizer optimizer, double lr, long step) {
        int k = batches.size();
        try (PointerScope scope = new PointerScope()) {
            optimizer.zeroGrad();
            double loss = 0;
            for (int j = 0; j < k; j++) {
                try (PointerScope microScope = new PointerScope()) {
                    StepSeed.apply(opt.seed(), step * k + j, 0); // the masks are a function of the micro-batch: exact resume
                    Batch b = batches.get(j);
                    Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
                    Tensor noise = model.randomNoise(b.size());
                    Tensor l;
                    try (Precision.Scope ac = precision.enter(model.device())) {
                        l = model.forward(x, noise).loss();
                    }
                    scaler.scale(k == 1 ? l : l.div(new Scalar(k))).backward();
                    loss += l.item_double() / k;
                }
            }
            // fp16: unscale, then clip and update unless a gradient overflowed (the scale halves, the step is skipped)
            boolean finite = scaler.unscale(model.parameters().tensors());
            scaler.update(finite);
            double norm = Double.NaN;
            if (finite) {
                norm = opt.clipNorm() > 0 ? optimizer.clipGradNorm(opt.clipNorm()) : optimizer.gradNorm();
                optimizer.step(lr);
            }
            return new double[] {loss, norm};
        }
    }

    /** {loss, images}: the loss on the readable held-out images, each masked by its own fixed noise. */
    private double[] heldOutLoss(DataLoader valLoader) {
        double sum = 0;
        int first = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (Batch b : valLoader) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
                    Tensor noise = Masking.seededNoise(VAL_MASK_SEED, first, b.size(), model.config().numPatches(), model.device());
                    try (Precision.Scope ac = precision.enter(model.device())) {
                        sum += model.forward(x, noise).loss().item_double() * b.size();
                    }
                }
                first += b.size();
            }
        }
        if (first == 0) {
            throw new CrateException("none of the " + valLoader.dataset().size() + " held-out images can be read ("
                    + valLoader.badFiles().problems() + "): fix or replace them");
        }
        return new double[] {sum / first, first};
    }

    /** {@code reconstructions.png} in the run directory: the first readable held-out images, fixed masks. */
    private void writeSheet(Dataset held, Transform valTf, DataLoader valLoader) {
        Set<Integer> bad = Arrays.stream(valLoader.badIndices()).boxed().collect(Collectors.toSet());
        int[] shown = IntStream.range(0, held.size()).filter(i -> !bad.contains(i)).limit(SHEET_IMAGES).toArray();
        int n = shown.length;
        MaeConfig c = model.config();
        try (PointerScope scope = new PointerScope()) {
            float[] px = new float[n * c.channels() * c.imageSize() * c.imageSize()];
            int per = px.length / n;
            for (int i = 0; i < n; i++) {
                Image image = held.image(shown[i]);
                float[] img = valTf.apply(org.crate4j.data.FloatImage.fromImage(image), new java.util.SplittableRandom(0)).data;
                System.arraycopy(img, 0, px, i * per, per);
            }
            Tensor x = Torch.floats(model.device(), px, n, c.channels(), c.imageSize(), c.imageSize());
            CrateMae.Reconstruction r = model.reconstruct(x, Masking.seededNoise(VAL_MASK_SEED, 0, n, c.numPatches(), model.device()));
            ReconstructionSheet.Rows rows = new ReconstructionSheet.Rows(n, c.channels(), c.imageSize(), c.patchSize(), px,
                    Torch.toFloats(r.prediction()), Torch.toFloats(r.pasted()), Torch.toFloats(r.mask()));
            List<String> names = Arrays.stream(shown).mapToObj(i -> "held-out " + i).toList();
            Preprocessing p = Preprocessing.fromMetadata(metadata, Preprocessing.defaultFor(c.channels()));
            AtomicWrite.png(ReconstructionSheet.render("CRATE-MAE reconstructions", names, rows,
                    p.mean(), p.std()), opt.outDir().resolve("reconstructions.png"));
        }
    }

    /** The steps that fit in the budget: what is left after the evaluations still due and a margin. */
    private static long fitSteps(long step, double elapsed, double budgetSec, double secPerStep, double evalSec, int perEpoch) {
        long steps = step;
        for (int i = 0; i < 3; i++) {
            double evals = Math.ceil(steps / (double) perEpoch) - Math.floor(step / (double) perEpoch) + 1;
            double left = budgetSec - elapsed - evals * evalSec - 5;
            steps = step + (long) Math.max(0, left / secPerStep);
        }
        return steps;
    }

    private TrainCheckpoint.State resume(Optimizer optimizer) {
        Path file = lastPath();
        TrainCheckpoint.requireResumable(file, CheckpointKind.MAE);
        MaeConfig saved = MaeWeights.configFor(MaeWeights.read(file), MaeWeights.Options.defaults());
        if (!saved.equals(model.config())) {
            throw new CrateException("--resume: " + file + " holds a different architecture (" + MaeWeights.configToJson(saved)
                    + ") than requested (" + MaeWeights.configToJson(model.config()) + "): use the same options or a new --out");
        }
        TrainCheckpoint.State s = TrainCheckpoint.readState(file);
        if (s.globalBatch() != opt.globalBatch()) { // its position counts steps of that many images
            throw new CrateException("--resume: " + file + " was pre-trained with " + s.globalBatch() + " images per step, not "
                    + opt.globalBatch() + " (--batch × --accum-steps): resume with the run's --batch and --accum-steps");
        }
        CrateMae loaded = MaeWeights.load(file, MaeWeights.Options.defaults());
        try (NoGradGuard g = new NoGradGuard()) {
            loaded.stateDict().forEach((k, v) -> model.stateDict().get(k).copy_(v));
        }
        TrainCheckpoint.restoreOptimizer(file, optimizer, s);
        scaler.restore(WeightsFile.read(file).metadata());
        LOG.info("resuming {} at epoch {}, step {} of the epoch (step {} of {})", file, s.epoch() + 1, s.batchInEpoch(), s.globalStep(),
                s.totalSteps());
        return s;
    }

    private void save(Optimizer optimizer, TrainCheckpoint.State state) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", MaeWeights.FORMAT);
        meta.put("config", MaeWeights.configToJson(model.config()));
        if (scaler.enabled()) {
            meta.put(LossScaler.METADATA_KEY, scaler.toMetadata());
        }
        TrainCheckpoint.write(lastPath(), model.stateDict(), optimizer, state, meta);
    }
}

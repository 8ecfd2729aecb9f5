package org.crate4j.train;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
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
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.Masking;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.ReconstructionSheet;

/**
 * CRATE-MAE pre-training (SPEC §2): masked-patch reconstruction with AdamW, per-step warm-up then
 * cosine, optional time budget (the cosine is fitted to it from the measured step time), a
 * held-out reconstruction loss, reconstructions and an atomic checkpoint after every epoch, and
 * exact resume (weights, optimizer state, schedule position, data order and masking noise). Runs
 * on the model's device; with fp16 the loss is scaled ({@link LossScaler}).
 */
public final class MaePretrainer {
    public record Summary(double trainLoss, double valLoss, double epochs, long steps, double seconds, double imagesPerSec,
            Path lastCheckpoint) {}

    /** Held-out images for the per-epoch loss (with fixed masks) and the reconstruction sheet. */
    private static final int VAL_IMAGES = 2000, SHEET_IMAGES = 8;
    /** Masks of the held-out images: a function of the image index alone. */
    private static final long VAL_MASK_SEED = 12345;
    /** Steps skipped before timing (JIT, allocator warm-up), then steps timed before the first plan. */
    private static final int TIMING_SKIP = 5, TIMING_STEPS = 20, REPLAN_EVERY = 25;

    private final CrateMae model;
    private final PretrainOptions opt;
    private final Precision precision;
    private final LossScaler scaler;
    private final Map<String, String> metadata;
    private final PrintStream log;
    private long stopAfterStep = Long.MAX_VALUE;

    /**
     * @param metadata written into every checkpoint besides format and config (the input
     *                 normalisation, so reconstruct and linear-probe need no flags)
     */
    public MaePretrainer(CrateMae model, PretrainOptions opt, Precision precision, Map<String, String> metadata,
            PrintStream log) {
        this.model = model;
        this.opt = opt;
        this.precision = precision;
        this.scaler = LossScaler.forPrecision(precision);
        this.metadata = metadata;
        this.log = log;
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
        AdamW optimizer = new AdamW(model.parameters().asMap(), opt.weightDecay(), opt.beta1(), opt.beta2(), 1e-8);
        DataLoader loader = new DataLoader(train, trainTf, opt.batch(), true, true, opt.seed(), opt.workers(), 4);
        Dataset held = Datasets.head(val, VAL_IMAGES);
        DataLoader valLoader = new DataLoader(held, valTf, Math.max(opt.batch(), 256), false, false, opt.seed(), opt.workers(), 2);
        int perEpoch = loader.batchesPerEpoch();
        if (perEpoch == 0) {
            throw new CrateException("the training set has " + train.size() + " images, fewer than one batch of " + opt.batch()
                    + ": lower --batch");
        }
        boolean fitToBudget = opt.epochs() <= 0 && opt.timeBudgetMin() > 0;
        if (opt.epochs() <= 0 && !fitToBudget) {
            throw new CrateException("pre-training needs a length: give --epochs or --time-budget");
        }
        // with a budget, a provisional length whose warm-up spans the timed steps, re-planned once they are timed
        long planned = fitToBudget ? Math.max(1, Math.round((TIMING_SKIP + TIMING_STEPS) / Math.max(1e-3, opt.warmupFraction())))
                : (long) opt.epochs() * perEpoch;
        TrainCheckpoint.State state = new TrainCheckpoint.State(0, 0, 0, planned, 0, 0, "adamw", 1, opt.seed(), opt.batch());
        if (opt.resume()) {
            state = resume(optimizer);
            fitToBudget = false; // the schedule was fixed by the first run; the budget only stops this one
        }
        MetricsLog metrics = new MetricsLog(opt.outDir(), opt.resume());
        if (opt.resume()) {
            metrics.truncateAfter(state.epoch() + state.batchInEpoch() / (double) perEpoch);
        }
        double budgetSec = opt.timeBudgetMin() > 0 ? opt.timeBudgetMin() * 60 : Double.POSITIVE_INFINITY;
        int epoch = state.epoch(), skip = state.batchInEpoch();
        long step = state.globalStep(), total = state.totalSteps(), firstStep = step;
        long imagesSeen = 0, loopNanos = 0, timedFrom = -1;
        double evalSeconds = 2 + VAL_IMAGES / 1000.0, lastTrain = Double.NaN, lastVal = Double.NaN;
        boolean stop = false;
        while (!stop && step < total) {
            loader.setEpoch(epoch);
            loader.skipBatches(skip);
            double lossSum = 0;
            long seen = 0, epochStart = System.nanoTime(), tick = System.nanoTime();
            int batchIdx = skip;
            try (ProgressBar bar = ProgressBars.start("epoch " + (epoch + 1), perEpoch, skip, true)) {
                for (Batch b : loader) {
                    LrSchedule schedule = new LrSchedule(opt.lr(), opt.minLr(), opt.warmupSteps(total), total);
                    double lr = schedule.at(step);
                    double loss = trainStep(b, optimizer, lr, step);
                    if (!Double.isFinite(loss)) {
                        throw new CrateException("loss became " + loss + " at step " + step + " (epoch " + (epoch + 1)
                                + "); the last good checkpoint is kept at " + lastPath() + ": lower --lr/--blr or use --precision fp32");
                    }
                    lossSum += loss * b.size();
                    seen += b.size();
                    imagesSeen += b.size();
                    step++;
                    batchIdx++;
                    long now = System.nanoTime();
                    loopNanos += now - tick;
                    tick = now;
                    bar.step();
                    bar.setExtraMessage(String.format("loss %.4f lr %.2e %.0f img/s", lossSum / seen, lr,
                            seen / ((now - epochStart) / 1e9)));
                    long done = step - firstStep;
                    if (done == TIMING_SKIP) {
                        timedFrom = loopNanos;
                    }
                    if (fitToBudget && done >= TIMING_SKIP + TIMING_STEPS && (done - TIMING_SKIP - TIMING_STEPS) % REPLAN_EVERY == 0
                            && step < total - total / 10) {
                        double secPerStep = (loopNanos - timedFrom) / 1e9 / (done - TIMING_SKIP);
                        long replanned = fitSteps(step, (now - start) / 1e9, budgetSec, secPerStep, evalSeconds, perEpoch);
                        if (done == TIMING_SKIP + TIMING_STEPS) {
                            log.printf("time budget %.1f min: %.3f s/step, planning %d steps (%.2f epochs)%n", budgetSec / 60,
                                    secPerStep, replanned, replanned / (double) perEpoch);
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
            }
            boolean epochDone = batchIdx >= perEpoch;
            long te = System.nanoTime();
            lastTrain = lossSum / Math.max(1, seen);
            lastVal = heldOutLoss(valLoader);
            writeSheet(held, valTf);
            int nextEpoch = epochDone ? epoch + 1 : epoch;
            int nextBatch = epochDone ? 0 : batchIdx;
            state = new TrainCheckpoint.State(nextEpoch, nextBatch, step, total, optimizer.steps(), 0, "adamw", 1, opt.seed(), opt.batch());
            double epochPos = epoch + batchIdx / (double) perEpoch;
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("epoch", epochPos);
            row.put("step", (double) step);
            row.put("train_loss", lastTrain);
            row.put("val_loss", lastVal);
            row.put("lr", new LrSchedule(opt.lr(), opt.minLr(), opt.warmupSteps(total), total).at(Math.max(0, step - 1)));
            row.put("seconds", (System.nanoTime() - start) / 1e9);
            row.put("images_per_sec", imagesSeen / Math.max(1e-9, loopNanos / 1e9));
            metrics.add(row);
            metrics.plotColumns(opt.outDir().resolve("curves.png"), "CRATE-MAE pre-training", "loss on removed patches",
                    "train_loss", "val_loss");
            save(optimizer, state);
            evalSeconds = (System.nanoTime() - te) / 1e9;
            log.printf("epoch %.2f: train loss %.4f | held-out loss %.4f (%d images, fixed masks) | %.0fs%n", epochPos, lastTrain,
                    lastVal, held.size(), row.get("seconds"));
            epoch = nextEpoch;
            skip = nextBatch;
        }
        loader.close();
        valLoader.close();
        return new Summary(lastTrain, lastVal, step / (double) perEpoch, step, (System.nanoTime() - start) / 1e9,
                imagesSeen / Math.max(1e-9, loopNanos / 1e9), lastPath());
    }

    /** One optimisation step; returns the loss. Everything it allocates dies with it. */
    double trainStep(Batch b, Optimizer optimizer, double lr, long step) {
        try (PointerScope scope = new PointerScope()) {
            StepSeed.apply(opt.seed(), step, 0); // the masks are a function of the step: exact resume
            Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
            Tensor noise = model.randomNoise(b.size());
            Tensor loss;
            try (Precision.Scope ac = precision.enter(model.device())) {
                loss = model.forward(x, noise).loss();
            }
            optimizer.zeroGrad();
            scaler.scale(loss).backward();
            scaler.step(optimizer, lr, opt.clipNorm(), model.parameters().tensors()); // clips, then updates unless fp16 overflowed
            return loss.item_double();
        }
    }

    /** The loss on the held-out images, each masked by its own fixed noise. */
    private double heldOutLoss(DataLoader valLoader) {
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
        return sum / Math.max(1, first);
    }

    /** {@code reconstructions.png} in the run directory: the first held-out images, fixed masks. */
    private void writeSheet(Dataset held, Transform valTf) {
        int n = Math.min(SHEET_IMAGES, held.size());
        MaeConfig c = model.config();
        try (PointerScope scope = new PointerScope()) {
            float[] px = new float[n * c.channels() * c.imageSize() * c.imageSize()];
            int per = px.length / n;
            for (int i = 0; i < n; i++) {
                float[] img = valTf.apply(org.crate4j.data.FloatImage.fromImage(held.image(i)), new java.util.SplittableRandom(0)).data;
                System.arraycopy(img, 0, px, i * per, per);
            }
            Tensor x = Torch.floats(model.device(), px, n, c.channels(), c.imageSize(), c.imageSize());
            CrateMae.Reconstruction r = model.reconstruct(x, Masking.seededNoise(VAL_MASK_SEED, 0, n, c.numPatches(), model.device()));
            ReconstructionSheet.Rows rows = new ReconstructionSheet.Rows(n, c.channels(), c.imageSize(), c.patchSize(), px,
                    Torch.toFloats(r.prediction()), Torch.toFloats(r.pasted()), Torch.toFloats(r.mask()));
            List<String> names = java.util.stream.IntStream.range(0, n).mapToObj(i -> "held-out " + i).toList();
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
        CrateMae loaded = MaeWeights.load(file, MaeWeights.Options.defaults());
        try (NoGradGuard g = new NoGradGuard()) {
            loaded.stateDict().forEach((k, v) -> model.stateDict().get(k).copy_(v));
        }
        TrainCheckpoint.restoreOptimizer(file, optimizer, s);
        scaler.restore(WeightsFile.read(file).metadata());
        log.printf("resuming %s at epoch %d, batch %d (step %d of %d)%n", file, s.epoch() + 1, s.batchInEpoch(), s.globalStep(),
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

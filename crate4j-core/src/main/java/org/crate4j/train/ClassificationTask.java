package org.crate4j.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.ConfigJson;
import org.crate4j.checkpoint.CrateWeights;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.Parameters;

/**
 * Training a CRATE classifier: label-smoothed cross-entropy, patch dropout for the first part of
 * the steps, top-1/top-5 on the validation split every epoch (the best is kept).
 */
final class ClassificationTask implements TrainingTask {
    private final Crate model;
    private final TrainOptions opt;
    private final Precision precision;
    private final GradientSync sync;
    private final DataLoader valLoader;
    private final int valImages;

    /** @param val the validation split (null: a task that only steps, e.g. for a benchmark or a test) */
    ClassificationTask(Crate model, TrainOptions opt, Precision precision, GradientSync sync, Dataset val, Transform valTf) {
        this.model = model;
        this.opt = opt;
        this.precision = precision;
        this.sync = sync;
        this.valImages = val == null ? 0 : val.size();
        this.valLoader = val == null ? null : new DataLoader(val, valTf, Math.max(opt.batch(), 256), false, false, opt.seed(),
                opt.workers(), 2).shard(sync.rank(), sync.worldSize());
    }

    @Override public TrainingListener.Task kind() { return TrainingListener.Task.CLASSIFICATION; }
    @Override public CheckpointKind checkpointKind() { return CheckpointKind.CLASSIFIER; }
    @Override public Parameters parameters() { return model.parameters(); }
    @Override public Map<String, Tensor> checkpointTensors() { return model.parameters().asMap(); }
    @Override public Device device() { return model.device(); }
    @Override public void train(boolean on) { model.train(on); }

    @Override
    public Map<String, String> checkpointMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", CrateWeights.FORMAT);
        m.put("config", ConfigJson.toJson(model.config()));
        return m;
    }

    @Override
    public Loss loss(Batch b, long step, int micro) {
        Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
        Tensor y = Torch.longs(model.device(), b.labels());
        Tensor logits;
        try (Precision.Scope ac = precision.enter(model.device())) {
            logits = model.forward(x);
        }
        Tensor l = Losses.crossEntropy(logits, y, opt.labelSmoothing());
        return new Loss(l, logits.argmax(new LongOptional(1), false).eq(y).sum().item_double());
    }

    @Override
    public void beforeStep(long step, long total) {
        model.patchDropout(patchDropoutAt(step, total));
    }

    /** The patch-dropout rate of a step: {@code opt.patchDropout()} for the first {@code patchDropoutUntil} of the steps, then 0. */
    double patchDropoutAt(long step, long total) {
        return step < opt.patchDropoutUntil() * total ? opt.patchDropout() : 0;
    }

    @Override
    public boolean cheapStep() {
        return model.patchDropout() > 0;
    }

    /** The token ratio of a full step to one with patch dropout. */
    @Override
    public double cheapRatio() {
        long n = model.config().numPatches();
        long keep = Crate.keptPatches(n, opt.patchDropout());
        return (n + 1) / (double) (keep + 1);
    }

    @Override
    public Evaluated evaluate() {
        if (valLoader == null) {
            throw new IllegalStateException("this task was made without a validation split");
        }
        Evaluation.Result r = Evaluation.run(model, valLoader, precision, sync);
        return new Evaluated(metrics(r), r.top1(), r.images());
    }

    private static Map<String, Double> metrics(Evaluation.Result r) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("val_loss", r.loss());
        m.put("val_top1", r.top1());
        m.put("val_top5", r.top5());
        return m;
    }

    @Override
    public long evaluationImages() {
        return valImages;
    }

    @Override
    public Map<String, Double> finalMetrics(Evaluated last, double lastTrainLoss) {
        return last.metrics();
    }

    @Override
    public void restore(Path file) {
        WeightsFile weights = WeightsFile.read(file);
        var saved = ConfigJson.fromJson(weights.metadata().get("config"));
        if (!saved.equals(model.config())) {
            throw new CrateException("--resume: " + file + " holds a different architecture (" + ConfigJson.toJson(saved)
                    + ") than requested (" + ConfigJson.toJson(model.config()) + "): use the same --model or a new --out");
        }
        Crate loaded = CrateWeights.load(weights, CrateWeights.Options.defaults());
        try (NoGradGuard g = new NoGradGuard()) {
            loaded.parameters().asMap().forEach((k, v) -> model.parameters().get(k).copy_(v));
        }
    }

    @Override
    public void close() {
        if (valLoader != null) {
            valLoader.close();
        }
    }
}

package org.crate4j.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.StateDictCheck;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.Parameters;

/**
 * Training an image classifier of any family: label-smoothed cross-entropy, patch dropout (CRATE)
 * for the first part of the steps, top-1/top-5 on the validation split every epoch (the best is
 * kept; unreadable files are left out and counted), weight decay by parameter kind, checkpoints of
 * the whole state dict (ToST's BatchNorm statistics too).
 */
final class ClassificationTask implements TrainingTask {
    private final ImageClassifier model;
    private final Map<String, ParameterKind> kinds;
    private final TrainOptions opt;
    private final Precision precision;
    private final GradientSync sync;
    private final DataLoader valLoader;
    private final int valImages;

    /** @param val the validation split (null: a task that only steps, e.g. for a benchmark or a test) */
    ClassificationTask(ImageClassifier model, TrainOptions opt, Precision precision, GradientSync sync, Dataset val, Transform valTf) {
        this.model = model;
        this.kinds = model.kinds();
        this.opt = opt;
        this.precision = precision;
        this.sync = sync;
        this.valImages = val == null ? 0 : val.size();
        this.valLoader = val == null ? null : new DataLoader(val, valTf, Math.max(opt.batch(), 256), false, false, opt.seed(),
                opt.workers(), 2).shard(sync.rank(), sync.worldSize()).onBadFile(DataIntegrity.forEvaluation(opt.strictData()));
    }

    @Override public TrainingListener.Task kind() { return TrainingListener.Task.CLASSIFICATION; }
    @Override public CheckpointKind checkpointKind() { return CheckpointKind.ofFormat(model.format()); }
    @Override public Parameters parameters() { return model.parameters(); }
    @Override public Map<String, Tensor> checkpointTensors() { return model.stateDict(); }
    @Override public Predicate<String> decays() { return name -> kinds.get(name).decays(); }
    @Override public Device device() { return model.device(); }
    @Override public void train(boolean on) { model.train(on); }

    @Override
    public Map<String, String> checkpointMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", model.format());
        m.put("config", model.configJson());
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

    /** The rows of {@link #loss} when the model draws nothing in training; asked after {@link #beforeStep}, which sets this step's patch dropout. */
    @Override
    public RowsLoss splitRows(Batch b, long step, int micro) {
        return model.rowsIndependentInTraining() ? (start, count) -> loss(b.rows(start, count), step, micro) : null;
    }

    @Override
    public boolean cheapStep() {
        return model.patchDropout() > 0;
    }

    /** The token ratio of a full step to one with patch dropout. */
    @Override
    public double cheapRatio() {
        ImageClassifier.Sizes s = model.sizes();
        long n = (long) (s.imageHeight() / s.patchSize()) * (s.imageWidth() / s.patchSize());
        long keep = Crate.keptPatches(n, opt.patchDropout());
        return (n + 1) / (double) (keep + 1);
    }

    @Override
    public Evaluated evaluate() {
        if (valLoader == null) {
            throw new IllegalStateException("this task was made without a validation split");
        }
        Evaluation.Result r = Evaluation.run(model, valLoader, precision, sync);
        return new Evaluated(metrics(r), r.top1(), r.images(), r.unreadable());
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
        String saved = weights.metadata().get("config");
        if (!model.sameConfig(saved)) {
            throw new CrateException("--resume: " + file + " holds a different architecture (" + saved
                    + ") than requested (" + model.configJson() + "): use the same --model or a new --out");
        }
        Map<String, long[]> expected = new LinkedHashMap<>();
        model.stateDict().forEach((k, t) -> expected.put(k, Torch.shape(t)));
        StateDictCheck.requireExact(file.toString(), expected, weights.shapes(), "the run's model");
        try (NoGradGuard g = new NoGradGuard(); PointerScope scope = new PointerScope()) {
            model.stateDict().forEach((k, t) -> {
                RawTensor raw = weights.tensors().get(k);
                t.copy_(Torch.floats(Device.CPU, raw.toFloats(), raw.shape()));
            });
        }
    }

    @Override
    public void close() {
        if (valLoader != null) {
            valLoader.close();
        }
    }
}

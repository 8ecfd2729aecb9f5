package org.crate4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.crate4j.data.Dataset;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.model.ImageClassifier;

/**
 * A classifier training run, configured from Java:
 *
 * <pre>{@code
 * Trainer.Summary s = Training.builder()
 *         .model(Crate.create(Presets.get("crate-tiny").withClasses(10)))
 *         .data(train, val)                   // resized to the model, normalised
 *         .epochs(3).batch(64).accumSteps(8).lr(1e-3)
 *         .outDir(Path.of("runs/java"))
 *         .listener(new ProgressListener())   // or your own TrainingListener
 *         .build()
 *         .fit();
 * }</pre>
 *
 * Unset options are the Fashion-MNIST job's ({@link TrainOptions#fashionMnistDefaults}) without
 * its time budget, so {@code epochs} or {@code timeBudgetMinutes} must be given. Checkpoints
 * ({@code last.safetensors}, {@code best.safetensors}) are always written to the run directory,
 * since resume needs them; metrics files, progress bars and console lines are listeners
 * ({@link MetricsFiles}, {@link ProgressListener}).
 */
public final class Training {
    private final ImageClassifier model;
    private final TrainData data;
    private final Transform trainTf, valTf;
    private final TrainOptions opt;
    private final Precision precision;
    private final GradientSync sync;
    private final List<TrainingListener> listeners;
    private final Map<String, String> metadata;

    private Training(Builder b) {
        model = b.model;
        data = b.data;
        opt = b.options;
        trainTf = b.trainTf != null ? b.trainTf : data.trainTransform(opt.augment(), model.sizes());
        valTf = b.valTf != null ? b.valTf : data.evalTransform(opt.augment(), model.sizes());
        precision = b.precision;
        sync = b.sync;
        listeners = List.copyOf(b.listeners);
        Map<String, String> meta = new LinkedHashMap<>(data.preprocessing(model.sizes().channels()).toMetadata());
        meta.put("source", data.root() != null ? "crate4j train on " + data.root() : "crate4j training (Java API)");
        meta.putAll(b.metadata);
        metadata = meta;
    }

    public static Builder builder() {
        return new Builder();
    }

    public TrainOptions options() {
        return opt;
    }

    /** Trains to the end of the schedule (or the budget) and returns where it ended. */
    public Trainer.Summary fit() {
        return trainer().fit(data.train(), trainTf, data.val(), valTf);
    }

    Trainer trainer() {
        return new Trainer(model, opt, precision, sync, metadata, listeners);
    }

    public static final class Builder {
        private ImageClassifier model;
        private TrainData data;
        private Transform trainTf, valTf;
        private TrainOptions options = TrainOptions.fashionMnistDefaults(Path.of("runs", "train"))
                .with(b -> { b.timeBudgetMin = 0; return b; });
        private Precision precision = Precision.FP32;
        private GradientSync sync = GradientSync.none();
        private final List<TrainingListener> listeners = new ArrayList<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();

        private Builder() {}

        /** Any classifier family ({@code org.crate4j.zoo.Zoo} builds them by name). */
        public Builder model(ImageClassifier m) { model = m; return this; }

        /** Splits opened as the commands open them ({@link TrainData#open}); transforms and metadata follow from them. */
        public Builder data(TrainData d) { data = d; return this; }

        /** In-memory or custom splits: trained through {@link TrainData#trainTransform}, normalised with the default statistics. */
        public Builder data(Dataset train, Dataset val) { return data(new TrainData(null, train, val, false)); }

        /** Replaces the transforms the data would give (also set {@link #metadata} for the normalisation then). */
        public Builder transforms(Transform train, Transform eval) { trainTf = train; valTf = eval; return this; }

        /** All options at once, e.g. a recipe ({@link TrainOptions#imagenetRecipe}); later setters edit them. */
        public Builder options(TrainOptions o) { options = o; return this; }

        /** Edits any option: {@code .options(o -> { o.labelSmoothing = 0; return o; })}. */
        public Builder options(UnaryOperator<TrainOptions.Builder> edit) { options = options.with(edit); return this; }

        public Builder epochs(int n) { return options(o -> { o.epochs = n; return o; }); }
        public Builder timeBudgetMinutes(double min) { return options(o -> { o.timeBudgetMin = min; return o; }); }
        /** Images per forward-backward pass and process. */
        public Builder batch(int n) { return options(o -> { o.batch = n; return o; }); }
        /** Micro-batches of {@code batch} per optimizer step (gradient accumulation). */
        public Builder accumSteps(int k) { return options(o -> { o.accumSteps = k; return o; }); }
        /** Peak learning rate of the warm-up + cosine schedule. */
        public Builder lr(double lr) { return options(o -> { o.lr = lr; return o; }); }
        /** {@code adamw} or {@code lion}. */
        public Builder optimizer(String name) { return options(o -> { o.optimizer = name; return o; }); }
        public Builder seed(long seed) { return options(o -> { o.seed = seed; return o; }); }
        /** The run directory: checkpoints and whatever listeners write there. */
        public Builder outDir(Path dir) { return options(o -> { o.outDir = dir; return o; }); }
        /**
         * Stop at the first file that cannot be decoded. Off, training replaces such a file by
         * another sample and evaluation leaves it out; the listeners are told of them either way.
         */
        public Builder strictData(boolean on) { return options(o -> { o.strictData = on; return o; }); }
        /** Continue the run in {@link #outDir} from its {@code last.safetensors}. */
        public Builder resume(boolean on) { return options(o -> { o.resume = on; return o; }); }

        public Builder precision(Precision p) { precision = p; return this; }
        /** Data parallelism ({@code org.crate4j.dist.DataParallel}); none by default. */
        public Builder sync(GradientSync s) { sync = s; return this; }

        /** Listeners, told in the order added; in a data-parallel job only rank 0's. */
        public Builder listener(TrainingListener... ls) { listeners.addAll(List.of(ls)); return this; }

        /** A metadata entry written into every checkpoint (overrides the data's). */
        public Builder metadata(String key, String value) { metadata.put(key, value); return this; }

        public Training build() {
            if (model == null || data == null) {
                throw new IllegalStateException("Training needs model(...) and data(...)");
            }
            if (options.epochs() <= 0 && options.timeBudgetMin() <= 0) {
                throw new IllegalStateException("Training needs epochs(n) or timeBudgetMinutes(m)");
            }
            return new Training(this);
        }
    }
}

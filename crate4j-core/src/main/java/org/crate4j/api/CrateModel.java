package org.crate4j.api;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.analysis.AttentionMaps;
import org.crate4j.analysis.HeadMaps;
import org.crate4j.analysis.ModelInput;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.data.FloatImage;
import org.crate4j.data.Image;
import org.crate4j.data.ImageFiles;
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.train.Prediction;
import org.crate4j.zoo.Zoo;

/**
 * A loaded CRATE model, ready for images: the one type a Java program needs to use weights.
 *
 * <pre>{@code
 * try (CrateModel m = CrateModel.load(Path.of("crate-demo.pth"))) {
 *     List<Classification> top = m.predict(Path.of("dog.jpg"), 5);
 *     AttentionMap a = m.attention(Path.of("dog.jpg"), m.layers() - 2);
 *     float[] f = m.features(Path.of("dog.jpg"));
 * }
 * }</pre>
 *
 * <p>It reads every file the CLI reads (the reference's checkpoints, CRATE-MAE's, crate4j's
 * safetensors: see the README for the layouts), loads libtorch's natives on first use, prepares
 * images with the preprocessing stored in the weights (else ImageNet's), and frees every
 * intermediate tensor before a call returns. A CRATE-MAE file gives its encoder: attention and
 * features work, {@link #predict} does not (it has no classifier head).
 *
 * <p><b>Threads.</b> The methods are synchronized: one instance may be shared by threads, which
 * then take turns (libtorch already uses every core for one call; see {@link Builder#threads}).
 * For parallel requests, load one instance per thread. <b>Environment.</b> libgomp, the OpenMP
 * runtime under libtorch, spins after every parallel region; set {@code GOMP_SPINCOUNT=20000} in
 * the environment of a JVM that also runs other busy threads (the {@code crate} launcher does).
 */
public final class CrateModel implements AutoCloseable {
    private final Path source;
    private final ImageClassifier classifier;
    private final CrateMae mae;
    private final TracedEncoder encoder;
    private final Preprocessing preprocessing;
    private final ModelInput.Normalization normalization;
    private final List<String> labels;
    private final Device device;
    private final Precision precision;
    private boolean closed;

    private CrateModel(Path source, ImageClassifier classifier, CrateMae mae, Map<String, String> metadata, List<String> labels,
            Precision precision) {
        this.source = source;
        this.classifier = classifier;
        this.mae = mae;
        this.encoder = classifier != null ? TracedEncoder.of(classifier) : TracedEncoder.of(mae);
        this.device = encoder.device();
        this.precision = precision;
        int channels = encoder.channels();
        this.preprocessing = Preprocessing.fromMetadata(metadata, Preprocessing.defaultFor(channels));
        this.normalization = ModelInput.normalization(channels, metadata);
        this.labels = labels != null ? List.copyOf(labels) : preprocessing.classes();
    }

    /** Loads any weights file crate4j reads, on the CPU in fp32, the architecture read off the file. */
    public static CrateModel load(Path weights) {
        return builder().load(weights);
    }

    /** Options for {@link Builder#load}: a preset or heads for files that leave them open, device, precision, labels. */
    public static Builder builder() {
        return new Builder();
    }

    /** How to load: every setting is optional. */
    public static final class Builder {
        private String preset;
        private int heads;
        private String device = "cpu";
        private String precision = "fp32";
        private int threads;
        private List<String> labels;

        private Builder() {}

        /** The preset naming heads/channels when a reference {@code .pth} leaves them open (e.g. {@code crate-base}). */
        public Builder preset(String name) { this.preset = name; return this; }

        /** The number of heads, when neither the file nor a preset says. */
        public Builder heads(int heads) {
            if (heads <= 0) {
                throw new CrateException("heads must be positive, got " + heads);
            }
            this.heads = heads;
            return this;
        }

        /** {@code cpu} (default), {@code cuda} or {@code cuda:N}. */
        public Builder device(String spec) { this.device = spec; return this; }

        /** {@code fp32} (default), {@code bf16}, {@code fp16} or {@code auto}. */
        public Builder precision(String name) { this.precision = name; return this; }

        /** libtorch's intra-op threads for the whole process (default: leave libtorch's setting, all cores). */
        public Builder threads(int n) {
            if (n <= 0) {
                throw new CrateException("threads must be positive, got " + n);
            }
            this.threads = n;
            return this;
        }

        /** Class names, one per class of the head, instead of those stored in the weights. */
        public Builder labels(List<String> names) { this.labels = List.copyOf(names); return this; }

        public CrateModel load(Path weights) {
            Torch.init();
            if (threads > 0) {
                Torch.setThreads(threads);
            }
            Device dev = Device.parse(device).require();
            Precision prec = Precision.parse(precision, dev);
            MaeWeights.Source src = MaeWeights.read(weights);
            Map<String, String> metadata = src.file().metadata();
            if (CheckpointKind.of(src.file().shapes(), metadata) == CheckpointKind.MAE) {
                CrateMae m = MaeWeights.load(src, new MaeWeights.Options(preset, heads, 0, true, null, null, null), dev);
                return new CrateModel(weights, null, m, metadata, labels, prec);
            }
            ImageClassifier c = Zoo.load(src, LoadOptions.builder().preset(preset).heads(heads).build(), dev).train(false);
            if (labels != null && labels.size() != c.sizes().numClasses()) {
                throw new CrateException(labels.size() + " labels given but " + weights + " has " + c.sizes().numClasses() + " classes");
            }
            return new CrateModel(weights, c, null, metadata, labels, prec);
        }
    }

    /** The {@code k} most probable classes of an image file, most probable first. */
    public List<Classification> predict(Path image, int k) {
        return predict(ImageFiles.readRgb(image), k);
    }

    /** The {@code k} most probable classes of an image, most probable first. */
    public List<Classification> predict(BufferedImage image, int k) {
        return predict(ImageFiles.fromBufferedImage(image), k);
    }

    /** The {@code k} most probable classes of a decoded image (e.g. {@link ImageFiles#decodeRgb} of an upload), most probable first. */
    public List<Classification> predict(Image image, int k) {
        return classify(List.of(image), k).get(0);
    }

    /** Images per forward of {@link #predictAll}: enough rows for every thread, little memory. */
    static final int PREDICT_BATCH = 64;

    /**
     * {@link #predict(Path, int)} for each image file, in order, computed in batches of up to
     * {@value #PREDICT_BATCH}: on a CPU with several threads a batch's rows run as one shard per
     * thread (docs/performance.md), faster than one call per image. An unreadable file fails the
     * call with its name.
     */
    public List<List<Classification>> predictAll(List<Path> images, int k) {
        if (images.isEmpty()) {
            return classify(List.of(), k); // the same checks (an open classifier, k > 0) as a non-empty call
        }
        List<List<Classification>> out = new ArrayList<>();
        for (int from = 0; from < images.size(); from += PREDICT_BATCH) {
            List<Image> decoded = new ArrayList<>();
            for (Path p : images.subList(from, Math.min(images.size(), from + PREDICT_BATCH))) {
                decoded.add(ImageFiles.readRgb(p));
            }
            out.addAll(classify(decoded, k));
        }
        return out;
    }

    private synchronized List<List<Classification>> classify(List<Image> images, int k) {
        requireOpen();
        if (classifier == null) {
            throw new CrateException(source + " is a CRATE-MAE encoder: it has no classifier head to predict with "
                    + "(use attention or features, or fine-tune it into a classifier)");
        }
        if (k <= 0) {
            throw new CrateException("k must be positive, got " + k);
        }
        if (images.isEmpty()) {
            return List.of();
        }
        ImageClassifier.Sizes c = classifier.sizes();
        Transform t = preprocessing.evalTransform(c.imageHeight(), c.imageWidth(), c.channels());
        int per = c.channels() * c.imageHeight() * c.imageWidth();
        float[] batch = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(t.apply(FloatImage.fromImage(images.get(i)), new Random(0)).data, 0, batch, i * per, per);
        }
        List<List<Classification>> out = new ArrayList<>();
        for (List<Prediction.Guess> guesses : Prediction.topK(classifier, batch, images.size(), k, labels, precision)) {
            List<Classification> row = new ArrayList<>();
            for (Prediction.Guess g : guesses) {
                row.add(new Classification(g.index(), g.label(), g.probability()));
            }
            out.add(row);
        }
        return out;
    }

    /** Every head's class-token attention to the patches at {@code layer} (0-based), the image resized to the model's input. */
    public AttentionMap attention(Path image, int layer) {
        return attention(ImageFiles.readRgb(image), layer);
    }

    public AttentionMap attention(BufferedImage image, int layer) {
        return attention(ImageFiles.fromBufferedImage(image), layer);
    }

    private synchronized AttentionMap attention(Image image, int layer) {
        requireOpen();
        encoder.checkLayer(layer);
        try (PointerScope scope = new PointerScope(); Precision.Scope ac = precision.enter(device)) {
            Tensor x = analysisInput(image);
            HeadMaps maps = AttentionMaps.compute(encoder, x, layer).get(0).patches();
            float[][] heads = new float[maps.heads()][];
            int per = maps.height() * maps.width();
            for (int h = 0; h < heads.length; h++) {
                heads[h] = java.util.Arrays.copyOfRange(maps.values(), h * per, (h + 1) * per);
            }
            return new AttentionMap(layer, maps.height(), maps.width(), heads);
        }
    }

    /**
     * The image's representation: for a classifier, the pooled tokens its head reads (class token
     * or mean, as the model was trained); for a CRATE-MAE encoder, the mean of its normalised patch
     * tokens (the linear probe's default).
     */
    public float[] features(Path image) {
        return features(ImageFiles.readRgb(image));
    }

    public float[] features(BufferedImage image) {
        return features(ImageFiles.fromBufferedImage(image));
    }

    private synchronized float[] features(Image image) {
        requireOpen();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard(); Precision.Scope ac = precision.enter(device)) {
            if (classifier != null) {
                ImageClassifier.Sizes c = classifier.sizes();
                Transform t = preprocessing.evalTransform(c.imageHeight(), c.imageWidth(), c.channels());
                FloatImage in = t.apply(FloatImage.fromImage(image), new Random(0));
                Tensor x = Torch.floats(device, in.data, 1, in.channels, in.height, in.width);
                return Torch.toFloats(classifier.features(x));
            }
            Tensor z = mae.encodeFeatures(analysisInput(image));
            return Torch.toFloats(z.narrow(1, 1, z.size(1) - 1).mean(new long[] {1}, false, new ScalarTypeOptional()));
        }
    }

    /** The image stretched to the model's input size and normalised, as {@code crate attention} prepares it, on the model's device. */
    private Tensor analysisInput(Image image) {
        FloatImage in = ModelInput.stretch(encoder.channels(), encoder.imageHeight(), encoder.imageWidth(), normalization)
                .apply(FloatImage.fromImage(image), null);
        return Torch.floats(device, in.data, 1, in.channels, in.height, in.width);
    }

    /**
     * The model as the {@code org.crate4j.analysis} measurements read it (ClassTokenAttention, PcaMaps,
     * ImageSegmentation, Layerwise), tracing at this model's precision. Its traces take turns with
     * this instance's other methods, and fail once the model is closed.
     */
    public TracedEncoder encoder() {
        return encoder.withTracer(images -> {
            synchronized (this) {
                requireOpen();
                try (Precision.Scope ac = precision.enter(device)) {
                    return encoder.trace(images);
                }
            }
        });
    }

    /** The mean/std the analysis inputs are normalised with: the weights' own, else ImageNet's (0.5/0.5 for one channel). */
    public ModelInput.Normalization normalization() { return normalization; }

    /** Layers of the encoder (attention takes 0 … layers() − 1). */
    public int layers() { return encoder.depth(); }

    /** Classes of the head; 0 for a CRATE-MAE encoder. */
    public int classes() { return classifier != null ? classifier.sizes().numClasses() : 0; }

    /** The class names predictions use (may be empty: then labels are the indices). */
    public List<String> labels() { return labels; }

    /** {@code classifier} or {@code mae-encoder}. */
    public String kind() { return classifier != null ? "classifier" : "mae-encoder"; }

    /** The underlying classifier (a {@code Crate}, {@code CrateAlpha}, {@code VisionTransformer} or {@code Tost}), or null for a CRATE-MAE file. */
    public ImageClassifier classifier() { return classifier; }

    /** The family's name ("CRATE", "CRATE-α", "ViT", "ToST"), or "CRATE-MAE" for an encoder. */
    public String family() { return classifier != null ? classifier.familyName() : "CRATE-MAE"; }

    /** Where the model lives (the device it was loaded on). */
    public Device device() { return device; }

    public Precision precision() { return precision; }

    private void requireOpen() {
        if (closed) {
            throw new CrateException("this CrateModel (" + source + ") is closed");
        }
    }

    /** Frees the weights' native memory; the instance cannot be used afterwards. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            var params = classifier != null ? classifier.parameters() : mae.parameters();
            params.tensors().forEach(Tensor::releaseReference);
        }
    }
}

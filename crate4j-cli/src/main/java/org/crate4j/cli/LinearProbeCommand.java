package org.crate4j.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.analysis.ModelInput;
import org.crate4j.data.Dataset;
import org.crate4j.data.Datasets;
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.train.LinearProbe;
import org.crate4j.train.ProbeFeatures;
import org.crate4j.train.TrainData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "linear-probe", mixinStandardHelpOptions = true,
        description = {"Linear probe of a CRATE-MAE encoder: frozen features (class token or mean of the patch tokens, no masking) "
                + "are extracted once for the training and held-out splits, then a linear classifier is trained on them "
                + "(softmax regression, AdamW, cosine) and its top-1 on the held-out split is reported.",
                "--random-init probes a randomly initialised encoder of the same architecture; --raw-pixels probes the "
                + "normalised pixels. Prints one result line and one JSON line."})
final class LinearProbeCommand implements Callable<Integer> {
    @Mixin
    MaeWeightsOptions weights;

    @Option(names = "--data", description = "dataset dir: ImageNet-style folders, CIFAR binary or MNIST idx (default: Fashion-MNIST)")
    Path data;

    @Option(names = "--features", defaultValue = "mean", description = "cls (class token) or mean (of the patch tokens). Default: ${DEFAULT-VALUE}")
    String features;

    @Option(names = "--epochs", defaultValue = "30", description = "passes of the linear classifier over the features (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--lr", defaultValue = "1e-2", description = "the classifier's AdamW learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--random-init", description = "probe a randomly initialised encoder of the checkpoint's architecture")
    boolean randomInit;

    @Option(names = "--raw-pixels", description = "probe the normalised pixels (normalised as the checkpoint's, if given)")
    boolean rawPixels;

    @Option(names = "--batch", defaultValue = "256", description = "images per feature-extraction batch (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--train-images", description = "probe with only the first N training images (default: all)")
    Integer trainImages;

    @Option(names = "--workers", defaultValue = "1", description = "data worker threads (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the random encoder and the classifier's batches (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    DataCheckOptions dataCheck;
    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        String setup = runtime.apply();
        if (randomInit && rawPixels) {
            throw new CrateException("--random-init and --raw-pixels exclude each other: run the probe once for each");
        }
        ProbeFeatures.Pooling pooling = ProbeFeatures.Pooling.parse(features);
        if (!rawPixels) {
            weights.required("(or pass --raw-pixels)");
        }
        MaeConfig c = weights.weights != null ? weights.config() : null; // a wrong file fails before the data loads
        TrainData d = TrainData.open(data, "val");
        int channels, size;
        ModelInput.Normalization norm;
        CrateMae model = null;
        if (c != null) {
            channels = c.channels();
            size = c.imageSize();
            norm = weights.normalization(channels);
            if (!rawPixels) {
                Torch.seed(seed);
                model = randomInit ? CrateMae.create(c, runtime.device()) : weights.load(true, null, runtime.device());
            }
        } else {
            channels = d.train().channels();
            size = d.train().image(0).height();
            Preprocessing p = d.preprocessing(channels);
            norm = new ModelInput.Normalization(p.mean(), p.std());
        }
        Transform tf = new Preprocessing(norm.mean(), norm.std(), 224.0 / 256, d.train().classes()).evalTransform(size, size, channels);
        String kind = rawPixels ? "raw-pixels" : randomInit ? "random-init" : "pretrained";
        System.err.println("linear-probe (" + kind + ") on " + d.root() + "; " + setup);
        Dataset trainSet = trainImages == null ? d.train() : Datasets.head(d.train(), trainImages);
        ProbeFeatures train, test;
        if (model != null) {
            train = ProbeFeatures.encoder(model, pooling, trainSet, tf, batch, workers, runtime.precision(), "features train", dataCheck.strict);
            test = ProbeFeatures.encoder(model, pooling, d.val(), tf, batch, workers, runtime.precision(), "features test", dataCheck.strict);
        } else {
            int dim = channels * size * size;
            train = ProbeFeatures.pixels(trainSet, tf, batch, workers, dim, "pixels train", dataCheck.strict);
            test = ProbeFeatures.pixels(d.val(), tf, batch, workers, dim, "pixels test", dataCheck.strict);
        }
        LinearProbe.Settings settings = new LinearProbe.Settings(epochs, 256, lr, 1e-4, seed);
        LinearProbe.Result r = LinearProbe.fit(train, test, d.train().classes().size(), settings);
        String what = rawPixels ? "raw pixels" : (randomInit ? "randomly initialised encoder like " : "encoder of ") + weights.weights;
        String pooled = rawPixels ? "" : ", " + pooling.name().toLowerCase() + " features";
        System.out.printf("linear probe top-1 %.2f%% on %d held-out images (%s%s, dim %d; train top-1 %.2f%% on %d images, %d epochs%s%s)%n",
                100 * r.top1(), test.count(), what, pooled, train.dim(), 100 * r.trainTop1(), train.count(), epochs,
                DataCheckOptions.leftOut("the training split", train.unreadable()), DataCheckOptions.leftOut("the held-out split", test.unreadable()));
        for (ProbeFeatures f : new ProbeFeatures[] {train, test}) {
            if (f.unreadable().any()) {
                System.out.println(DataCheckOptions.count(f.unreadable()) + " left out of the " + (f == train ? "training" : "held-out")
                        + " features: " + f.unreadable().problems());
            }
        }
        JsonObject j = new JsonObject();
        j.addProperty("probe", kind);
        j.addProperty("weights", weights.weights == null ? null : weights.weights.toString());
        j.addProperty("features", rawPixels ? "pixels" : pooling.name().toLowerCase());
        j.addProperty("dim", train.dim());
        j.addProperty("top1", r.top1());
        j.addProperty("train_top1", r.trainTop1());
        j.addProperty("train_images", train.count());
        j.addProperty("test_images", test.count());
        j.addProperty("train_unreadable", train.unreadable().count());
        j.addProperty("test_unreadable", test.unreadable().count());
        j.addProperty("epochs", epochs);
        System.out.println(new Gson().toJson(j));
        return 0;
    }
}

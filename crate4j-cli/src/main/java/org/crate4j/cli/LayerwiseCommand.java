package org.crate4j.cli;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.crate4j.CrateException;
import org.crate4j.analysis.Layerwise;
import org.crate4j.analysis.LayerwiseResult;
import org.crate4j.analysis.ModelInput;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Dataset;
import org.crate4j.data.BadFiles;
import org.crate4j.data.Datasets;
import org.crate4j.train.DataIntegrity;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.LayerwisePlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "layerwise", mixinStandardHelpOptions = true,
        description = {"Coding rate (compression) and sparsity of every layer, mean and std over images of a dataset (the paper's layer-wise figure).",
                "From the weights alone, every layer's subspace coherence (max over pairs of heads of the cosine of the smallest "
                        + "principal angle between their subspaces: 0 = orthogonal, as the derivation assumes) and dictionary coherence "
                        + "(||D^T D - I||_F / ||I||_F: 0 = orthogonal dictionary).",
                "Images are a fixed random subset (seed 0) of the split, resized and centre-cropped to the model's input size.",
                "Writes OUT/layerwise.json and OUT/layerwise.png."})
final class LayerwiseCommand implements Callable<Integer> {
    @Mixin
    ModelOptions weights;

    @Option(names = "--data", required = true, description = "dataset folder (image folder with train/ and val/, MNIST idx or CIFAR binary)")
    Path data;

    @Option(names = "--split", defaultValue = "val", description = "train, val or test (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--images", defaultValue = "512", description = "images to measure (default: ${DEFAULT-VALUE}; fewer if the split is smaller)")
    int images;

    @Option(names = "--batch", defaultValue = "32", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--out", defaultValue = "out/layerwise", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    DataCheckOptions dataCheck;
    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        TracedEncoder encoder = weights.encoder(runtime);
        Dataset ds = Datasets.open(data, split);
        int n = Math.min(images, ds.size());
        var transform = ModelInput.fitAndCrop(encoder.channels(), encoder.imageHeight(), encoder.imageWidth(),
                weights.normalization(encoder.channels()));
        LayerwiseResult r;
        BadFiles unreadable;
        // decoded on this thread, as the batches are needed: the unreadable files counted are those the measurement met
        try (DataLoader loader = new DataLoader(ds, transform, Math.max(1, batch), true, false, 0, 0, 1)
                        .onBadFile(DataIntegrity.forEvaluation(dataCheck.strict));
                ProgressBar bar = new ProgressBarBuilder().setTaskName("layerwise").setInitialMax(n).setStyle(ProgressBarStyle.ASCII)
                        .setUnit(" img", 1).build()) {
            r = Layerwise.measure(encoder, loader, n, bar::stepBy);
            unreadable = loader.badFiles();
        }
        if (r.images() == 0) {
            throw new CrateException("no image of " + data + " (" + split + ") can be read: " + unreadable.problems());
        }
        r = r.withIncoherence(weights.incoherence());
        JsonObject json = Json.GSON.toJsonTree(r).getAsJsonObject();
        json.addProperty("weights", weights.weights.toString());
        json.addProperty("data", data.toString());
        json.addProperty("split", split);
        json.addProperty("unreadable", unreadable.count());
        AtomicWrite.text(Json.GSON.toJson(json) + "\n", out.resolve("layerwise.json"));
        AtomicWrite.png(LayerwisePlot.render(r, weights.weights.getFileName().toString()), out.resolve("layerwise.png"));
        System.out.println("layer  coding rate (mean ± std)   non-zero fraction (mean ± std)   subspace coherence (heads)   ||DᵀD-I||/||I||");
        for (LayerwiseResult.LayerStats s : r.layers()) {
            boolean measured = s.dictionaryCoherence() != null; // from the weights of families with CRATE's subspaces and dictionary
            String subspaces = s.subspaceCoherence() != null
                    ? String.format("%.4f (%d, %d)", s.subspaceCoherence(), s.coherentHeads()[0], s.coherentHeads()[1])
                    : measured ? "- (one head)" : "-";
            String dictionary = measured ? String.format("%.4f", s.dictionaryCoherence()) : "-";
            System.out.printf("%5d  %10.3f ± %-10.3f   %8.4f ± %-8.4f        %-26s   %s%n", s.layer(), s.codingRate().mean(),
                    s.codingRate().std(), s.nonZeroFraction().mean(), s.nonZeroFraction().std(), subspaces, dictionary);
        }
        System.out.println("wrote " + out.resolve("layerwise.json") + " and " + out.resolve("layerwise.png") + " (" + r.images() + " images"
                + DataCheckOptions.leftOut(unreadable) + ")");
        if (unreadable.any()) {
            System.out.println(DataCheckOptions.count(unreadable) + " skipped: " + unreadable.problems());
        }
        return 0;
    }
}

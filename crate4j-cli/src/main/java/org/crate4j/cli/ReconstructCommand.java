package org.crate4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.analysis.ModelInput;
import org.crate4j.data.DataHome;
import org.crate4j.data.Dataset;
import org.crate4j.data.Datasets;
import org.crate4j.data.FloatImage;
import org.crate4j.data.Transform;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.Masking;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.ReconstructionSheet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "reconstruct", mixinStandardHelpOptions = true,
        description = {"Masks images and reconstructs them with a CRATE-MAE. Writes DIR/reconstructions.png, one row per image: "
                + "original | masked input | reconstruction | reconstruction with the visible patches pasted back.",
                "Inputs: IMAGE files (stretched to the model's size), or the first --images of the held-out split of --data "
                + "(default: Fashion-MNIST's test split)."})
final class ReconstructCommand implements Callable<Integer> {
    @Mixin
    MaeWeightsOptions weights;

    @Parameters(arity = "0..*", description = "image files (PNG, JPEG, BMP, GIF)")
    List<Path> images = new ArrayList<>();

    @Option(names = "--data", description = "dataset dir to take held-out images from, when no IMAGE is given (default: Fashion-MNIST)")
    Path data;

    @Option(names = "--images", defaultValue = "8", description = "how many dataset images (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--mask-ratio", description = "fraction of patches removed (default: the checkpoint's)")
    Double maskRatio;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the masks; image i's mask depends on (seed, i) only (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", defaultValue = "runs/reconstruct", description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        runtime.apply();
        weights.required("for reconstruct");
        CrateMae model = weights.load(false, maskRatio, runtime.device());
        MaeConfig c = model.config();
        ModelInput.Normalization norm = weights.normalization(c.channels());
        List<String> names = new ArrayList<>();
        List<FloatImage> inputs = new ArrayList<>();
        if (!images.isEmpty()) {
            for (Path p : images) {
                Tensor t = InputImage.load(p, c.imageSize(), c.channels(), norm).input();
                inputs.add(new FloatImage(c.channels(), c.imageSize(), c.imageSize(), Torch.toFloats(t)));
                names.add(InputImage.baseName(p));
            }
        } else {
            Path dir = data != null ? data : DataHome.ensureFashionMnist(true, true);
            Dataset held = Datasets.open(dir, "val");
            Transform tf = ModelInput.fitAndCrop(c.channels(), c.imageSize(), c.imageSize(), norm);
            for (int i = 0; i < Math.min(count, held.size()); i++) {
                inputs.add(tf.apply(FloatImage.fromImage(held.image(i)), new java.util.SplittableRandom(0)));
                String label = held.classes().isEmpty() ? "" : " (" + held.classes().get(held.label(i)) + ")";
                names.add("#" + i + label);
            }
        }
        int n = inputs.size();
        Tensor x = ModelInput.batch(inputs, model.device());
        Tensor noise = Masking.seededNoise(seed, 0, n, c.numPatches(), model.device());
        Precision precision = runtime.precision();
        CrateMae.Reconstruction r;
        double loss;
        try (NoGradGuard g = new NoGradGuard(); Precision.Scope ac = precision.enter(model.device())) {
            r = model.reconstruct(x, noise);
            loss = model.forward(x, noise).loss().item_double();
        }
        ReconstructionSheet.Rows rows = new ReconstructionSheet.Rows(n, c.channels(), c.imageSize(), c.patchSize(),
                Torch.toFloats(x), Torch.toFloats(r.prediction()), Torch.toFloats(r.pasted()), Torch.toFloats(r.mask()));
        Path png = out.resolve("reconstructions.png");
        AtomicWrite.png(ReconstructionSheet.render("CRATE-MAE " + weights.weights.getFileName(), names, rows, norm.mean(), norm.std()), png);
        System.out.printf("wrote %s: %d image%s, mask ratio %.2f (%d of %d patches removed), loss on removed patches %.4f%s%n",
                png, n, n == 1 ? "" : "s", c.maskRatio(), c.numPatches() - c.keptPatches(), c.numPatches(), loss,
                c.normPixLoss() ? " (per-patch normalised pixels)" : "");
        return 0;
    }
}

package org.crate4j.cli;

import com.google.gson.Gson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.FloatImage;
import org.crate4j.data.ImageFiles;
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.train.Prediction;
import org.crate4j.zoo.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Top-k classes with probabilities for images. Images at the model's input size are used as they are; "
                + "others get the reference's evaluation resize (shorter side size*256/224) and centre crop.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, description = "a classifier of any family (CRATE, CRATE-α, ViT, ToST): reference checkpoint (.pth) or crate4j .safetensors")
    Path weights;

    @Option(names = "--model", description = "preset for heads/channels of reference checkpoints, of the file's family (e.g. crate-base, crate-alpha-b16, vit-small)")
    String model;

    @Option(names = "--heads", defaultValue = "0", description = "heads, when the width matches no preset")
    int heads;

    @Option(names = "--top", defaultValue = "5", description = "how many classes per image (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--labels", description = "text file with one class name per line")
    Path labels;

    @Option(names = "--mean", split = ",", description = "normalisation mean per channel (default: from the weights, else ImageNet's)")
    float[] mean;

    @Option(names = "--std", split = ",", description = "normalisation std per channel")
    float[] std;

    @Option(names = "--json", description = "print one JSON object per image")
    boolean json;

    @Parameters(arity = "1..*", description = "image files (PNG, JPEG, BMP, GIF)")
    List<Path> images;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        String setup = runtime.apply();
        MaeWeights.Source src = MaeWeights.read(weights); // for a .pth also its training arguments (ToST's name the preset)
        WeightsFile file = src.file();
        ImageClassifier m = Zoo.load(src, LoadOptions.builder().preset(model).heads(heads).build(),
                runtime.device());
        ImageClassifier.Sizes c = m.sizes();
        Preprocessing pre = Preprocessing.fromMetadata(file.metadata(), Preprocessing.defaultFor(c.channels()));
        if (mean != null || std != null) {
            pre = new Preprocessing(mean != null ? mean : pre.mean(), std != null ? std : pre.std(), pre.cropFraction(), pre.classes());
        }
        List<String> names = labels != null ? readLabels(labels, c.numClasses()) : pre.classes();
        Transform t = pre.evalTransform(c.imageHeight(), c.imageWidth(), c.channels());
        int per = c.channels() * c.imageHeight() * c.imageWidth();
        float[] batch = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            FloatImage img = t.apply(FloatImage.fromImage(ImageFiles.readRgb(images.get(i))), new java.util.Random(0));
            System.arraycopy(img.data, 0, batch, i * per, per);
        }
        List<List<Prediction.Guess>> result = Prediction.topK(m, batch, images.size(), top, names, runtime.precision());
        if (!json) {
            System.out.println("# " + weights.getFileName() + ": " + c.numClasses() + " classes, input " + c.imageHeight() + "x"
                    + c.imageWidth() + "; " + setup);
        }
        Gson gson = new Gson();
        for (int i = 0; i < images.size(); i++) {
            if (json) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("image", images.get(i).toString());
                o.put("top", result.get(i));
                System.out.println(gson.toJson(o));
            } else {
                System.out.println(images.get(i));
                for (Prediction.Guess g : result.get(i)) {
                    System.out.printf("  %6.2f%%  %s%n", 100 * g.probability(), g.label());
                }
            }
        }
        return 0;
    }

    private static List<String> readLabels(Path file, int classes) throws java.io.IOException {
        org.crate4j.io.Inputs.requireFile(file, "labels file");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        if (out.size() != classes) {
            throw new CrateException("labels file " + file + " has " + out.size() + " names but the model has " + classes + " classes");
        }
        return out;
    }
}

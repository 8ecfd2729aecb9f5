package org.crate4j.cli;

import com.google.gson.Gson;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Preprocessing;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.train.DataIntegrity;
import org.crate4j.train.Evaluation;
import org.crate4j.train.GradientSync;
import org.crate4j.train.TrainData;
import org.crate4j.viz.ConfusionPlot;
import org.crate4j.zoo.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Top-1/top-5 accuracy and mean loss of a classifier on a split, plus a confusion-matrix PNG and JSON.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, description = "reference checkpoint or crate4j .safetensors")
    Path weights;
    @Option(names = "--data", description = "dataset dir (default: Fashion-MNIST)")
    Path data;
    @Option(names = "--split", defaultValue = "val", description = "val, test or train (default: ${DEFAULT-VALUE})")
    String split;
    @Option(names = "--model", description = "preset for heads/channels of reference checkpoints")
    String model;
    @Option(names = "--heads", defaultValue = "0", description = "heads, when the width matches no preset")
    int heads;
    @Option(names = "--batch", defaultValue = "256", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--tta", defaultValue = "none", description = "test-time augmentation: none, or flip (average the softmax of each "
            + "image and its mirror image; for mirror-symmetric classes such as Fashion-MNIST's; twice the work) (default: ${DEFAULT-VALUE})")
    String tta;
    @Option(names = "--out", defaultValue = "runs/eval", description = "where confusion.png and eval.json go (default: ${DEFAULT-VALUE})")
    Path out;
    @Mixin
    DataCheckOptions dataCheck;
    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        if (!tta.equals("none") && !tta.equals("flip")) {
            throw new org.crate4j.CrateException("unknown --tta '" + tta + "': use none or flip");
        }
        String setup = runtime.apply();
        MaeWeights.Source src = MaeWeights.read(weights); // for a .pth also its training arguments (ToST's name the preset)
        WeightsFile file = src.file();
        ImageClassifier m = Zoo.load(src, LoadOptions.builder().preset(model).heads(heads).build(),
                runtime.device());
        ImageClassifier.Sizes c = m.sizes();
        TrainData d = TrainData.open(data, split);
        if (d.val().classes().size() != c.numClasses()) {
            throw new org.crate4j.CrateException(weights + " has " + c.numClasses() + " classes but " + d.root() + " has "
                    + d.val().classes().size() + ": evaluate on the data it was trained for, or fine-tune first");
        }
        Preprocessing pre = Preprocessing.fromMetadata(file.metadata(), d.preprocessing(c.channels()));
        try (DataLoader loader = new DataLoader(d.val(), pre.evalTransform(c.imageHeight(), c.imageWidth(), c.channels()), batch, false,
                false, 0, 1, 2).onBadFile(DataIntegrity.forEvaluation(dataCheck.strict))) {
            Evaluation.Result r = Evaluation.run(m, loader, runtime.precision(), GradientSync.none(), tta.equals("flip"));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("weights", weights.toString());
            json.put("data", d.root().toString());
            json.put("split", split);
            json.put("tta", tta);
            json.put("images", r.images());
            json.put("unreadable", r.unreadable().count());
            json.put("unreadable_files", r.unreadable().first().stream().map(e -> e.file()).toList());
            json.put("top1", r.top1());
            json.put("top5", r.top5());
            json.put("loss", r.loss());
            json.put("confusion", r.confusion());
            org.crate4j.viz.AtomicWrite.text(new Gson().toJson(json) + "\n", out.resolve("eval.json"));
            ConfusionPlot.write(r.confusion(), d.val().classes(), String.format("%s on %s: top-1 %.2f%%", weights.getFileName(), split,
                    100 * r.top1()), out.resolve("confusion.png"));
            System.out.printf("%s on %s/%s (%d images%s%s; %s): top-1 %.2f%%, top-5 %.2f%%, loss %.4f; wrote %s and %s%n", weights,
                    d.root(), split, r.images(), tta.equals("flip") ? ", with mirrored copies" : "", DataCheckOptions.leftOut(r.unreadable()),
                    setup, 100 * r.top1(), 100 * r.top5(), r.loss(), out.resolve("confusion.png"), out.resolve("eval.json"));
            if (r.unreadable().any()) {
                System.out.println(DataCheckOptions.count(r.unreadable()) + " not evaluated: " + r.unreadable().problems());
            }
        }
        return 0;
    }
}

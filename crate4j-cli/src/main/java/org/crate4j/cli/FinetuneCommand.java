package org.crate4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.zoo.Zoo;
import org.crate4j.train.TrainData;
import org.crate4j.train.TrainOptions;
import org.crate4j.train.RunSession;
import org.crate4j.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tunes a pretrained classifier of any family (CRATE, CRATE-α, ViT, ToST; reference .pth or crate4j .safetensors): "
                + "the head is dropped and re-initialised "
                + "for the data's classes; defaults are the reference recipe (AdamW 5e-5, wd 0.01, cosine, RandAugment(2, 14), "
                + "images resized to the model's size, plain cross-entropy).")
final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, description = "pretrained weights")
    Path weights;
    @Option(names = "--model", description = "preset giving heads/channels for reference checkpoints")
    String model;
    @Option(names = "--heads", defaultValue = "0", description = "heads, when the width matches no preset")
    int heads;
    @Mixin
    TrainOptionsMixin train;
    @Mixin
    RuntimeOptions runtime;
    @Mixin
    RunRecordOptions record;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String setup = runtime.apply();
        TrainData data = TrainData.open(train.data, train.valSplit);
        int classes = data.train().classes().size();
        ImageClassifier m = Zoo.load(weights, LoadOptions.builder().preset(model).heads(heads).noHead(true).classes(classes).build(),
                runtime.device());
        ImageClassifier.Sizes size = m.sizes();
        TrainOptions opt = train.apply(TrainOptions.finetuneRecipe(null), "finetune", 1);
        System.out.println("finetune " + weights.getFileName() + " (" + (m.familyName().equals("CRATE") ? "" : m.familyName() + ", ")
                + "dim " + size.dim() + ", depth " + size.depth() + ", input " + size.imageHeight() + "x" + size.imageWidth() + ") on " + data.root() + " ("
                + data.train().size() + " train / " + data.val().size() + " " + train.valSplit + " images, " + classes
                + " classes, new head); " + setup + (opt.accumSteps() > 1 ? "; batch " + opt.globalBatch(1) + " as " + opt.accumSteps()
                + " accumulated micro-batches of " + opt.batch() : ""));
        try (RunSession session = RunSession.open(train.out, train.resume, record.overwrite, "finetune", "finetune", true,
                "fine-tuning run")) {
            TrainOptions run = opt.with(b -> { b.outDir = session.dir(); return b; });
            java.util.Map<String, Object> settings = RunRecordOptions.common(spec.commandLine().getParseResult().originalArgs(), runtime, 1);
            settings.put("weights", weights.toString());
            settings.put("options", run);
            settings.put("model", m instanceof org.crate4j.model.Crate crate ? crate.config()
                    : com.google.gson.JsonParser.parseString(m.configJson()));
            settings.put("data", String.valueOf(data.root()));
            Training.builder().model(m).data(data).options(run).precision(runtime.precision())
                    .listener(record.listeners(settings)).build().fit();
        }
        return 0;
    }
}

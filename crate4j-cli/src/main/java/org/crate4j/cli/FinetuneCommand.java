package org.crate4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.crate4j.checkpoint.CrateWeights;
import org.crate4j.model.Crate;
import org.crate4j.train.TrainData;
import org.crate4j.train.TrainOptions;
import org.crate4j.train.RunSession;
import org.crate4j.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tunes a pretrained CRATE (reference .pth or crate4j .safetensors): the head is dropped and re-initialised "
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
        TrainData data = TrainData.open(train.data, train.valSplit, System.err);
        int classes = data.train().classes().size();
        Crate m = CrateWeights.load(weights, new CrateWeights.Options(model, heads, true, classes, null), runtime.device());
        TrainOptions opt = train.apply(TrainOptions.finetuneRecipe(null), "finetune", 1);
        System.out.println("finetune " + weights.getFileName() + " (dim " + m.config().dim() + ", depth " + m.config().depth()
                + ", input " + m.config().imageHeight() + "x" + m.config().imageWidth() + ") on " + data.root() + " ("
                + data.train().size() + " train / " + data.val().size() + " " + train.valSplit + " images, " + classes
                + " classes, new head); " + setup + (opt.accumSteps() > 1 ? "; batch " + opt.globalBatch(1) + " as " + opt.accumSteps()
                + " accumulated micro-batches of " + opt.batch() : ""));
        try (RunSession session = RunSession.open(train.out, train.resume, record.overwrite, "finetune", "finetune", true,
                "fine-tuning run")) {
            TrainOptions run = opt.with(b -> { b.outDir = session.dir(); return b; });
            java.util.Map<String, Object> settings = RunRecordOptions.common(spec.commandLine().getParseResult().originalArgs(), runtime, 1);
            settings.put("weights", weights.toString());
            settings.put("options", run);
            settings.put("model", m.config());
            settings.put("data", String.valueOf(data.root()));
            Training.builder().model(m).data(data).options(run).precision(runtime.precision())
                    .listener(record.listeners(settings)).build().fit();
        }
        return 0;
    }
}

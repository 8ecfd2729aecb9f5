package org.crate4j.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.engine.Device;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.model.Pooling;
import org.crate4j.zoo.Family;
import org.crate4j.zoo.NamedPreset;
import org.crate4j.zoo.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Converts a reference checkpoint (.pth/.pt/.pth.tar, read safely) of any classifier family (CRATE, CRATE-α, timm ViT, "
                + "ToST) to crate4j safetensors with the config in its metadata.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "input checkpoint")
    Path input;

    @Parameters(index = "1", description = "output .safetensors")
    Path output;

    @Option(names = "--model", description = "preset giving heads/channels when the shapes leave them open")
    String model;

    @Option(names = "--heads", defaultValue = "0", description = "number of heads (cannot be read off the shapes)")
    int heads;

    @Option(names = "--pool", description = "cls or mean (default: the preset's, else cls)")
    String pool;

    @Option(names = "--no-head", description = "drop the head (mlp_head.*, and head.* of the demo's two-stage head) for fine-tuning elsewhere; a fresh one-stage head is written")
    boolean noHead;

    @Option(names = "--verbose", description = "show stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        MaeWeights.Source src = MaeWeights.read(input);
        Family family = Zoo.recognise(src.file());
        if (family != null && family != Family.CRATE && family != Family.CRATE_MAE) {
            return convertOther(src, family);
        }
        if (family != Family.CRATE_MAE) {
            NamedPreset.requireOf(CheckpointKind.CLASSIFIER, model, input); // names a CRATE-MAE preset as one, where the loader cannot
        }
        Crate m = CrateWeights.load(input, new CrateWeights.Options(model, heads, noHead, 0, pool == null ? null : Pooling.parse(pool)));
        CrateWeights.save(m, output, Map.of("source", input.getFileName().toString()));
        System.out.printf("wrote %s: %d tensors, %,d parameters (dim %d, depth %d, heads %d, patch %d, classes %d)%n",
                output, m.parameters().names().size(), m.parameters().count(), m.config().dim(), m.config().depth(),
                m.config().heads(), m.config().patchSize(), m.config().numClasses());
        return 0;
    }

    /** A CRATE-α, ViT or ToST file through the registry's loader, written with its family's format tag. */
    private int convertOther(MaeWeights.Source src, Family family) {
        if (pool != null) {
            throw new org.crate4j.CrateException("--pool applies to CRATE checkpoints; " + input + " is " + family.kind().label()
                    + " checkpoint: drop --pool");
        }
        ImageClassifier m = Zoo.load(src, LoadOptions.builder().preset(model).heads(heads).noHead(noHead).build(), Device.CPU);
        m.save(output, Map.of("source", input.getFileName().toString()));
        ImageClassifier.Sizes s = m.sizes();
        System.out.printf("wrote %s: %s, %d tensors, %,d parameters (dim %d, depth %d, patch %d, classes %d)%n", output, m.familyName(),
                m.stateDict().size(), m.parameters().count(), s.dim(), s.depth(), s.patchSize(), s.numClasses());
        return 0;
    }
}

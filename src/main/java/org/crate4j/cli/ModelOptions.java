package org.crate4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.analysis.ModelInput;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.checkpoint.CrateWeights;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Precision;
import org.crate4j.model.Crate;
import picocli.CommandLine.Option;

/** The weights the analysis commands look inside, and how their inputs are normalised. */
final class ModelOptions {
    @Option(names = "--weights", required = true, description = "CRATE weights: a reference checkpoint (.pth) or crate4j .safetensors")
    Path weights;

    @Option(names = "--model", description = "preset naming heads/channels when a .pth leaves them open (e.g. crate-tiny)")
    String model;

    @Option(names = "--heads", defaultValue = "0", description = "number of heads, when neither the file nor --model says")
    int heads;

    Crate load() {
        return CrateWeights.load(weights, new CrateWeights.Options(model, heads, false, 0, null)).train(false);
    }

    /** Our safetensors may carry the training mean/std; reference checkpoints carry nothing. */
    ModelInput.Normalization normalization(int channels) {
        String name = weights.getFileName().toString().toLowerCase(Locale.ROOT);
        Map<String, String> metadata = name.endsWith(".safetensors") || name.endsWith(".st")
                ? WeightsFile.read(weights).metadata() : Map.of();
        return ModelInput.normalization(channels, metadata);
    }

    /** The model as a traced encoder running at the requested precision, on the CPU. */
    static TracedEncoder encoder(Crate model, RuntimeOptions runtime) {
        runtime.apply();
        if (runtime.device().isCuda()) {
            throw new CrateException("the analysis commands run on the CPU: drop --device " + runtime.device());
        }
        Precision precision = runtime.precision();
        TracedEncoder base = TracedEncoder.of(model);
        return new TracedEncoder() {
            @Override public java.util.List<org.crate4j.model.LayerTrace> trace(org.bytedeco.pytorch.Tensor images) {
                try (Precision.Scope s = precision.enter(runtime.device())) {
                    return base.trace(images);
                }
            }
            @Override public int patchSize() { return base.patchSize(); }
            @Override public int depth() { return base.depth(); }
            @Override public int channels() { return base.channels(); }
            @Override public int imageHeight() { return base.imageHeight(); }
            @Override public int imageWidth() { return base.imageWidth(); }
        };
    }
}

package org.crate4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.crate4j.analysis.Incoherence;
import org.crate4j.analysis.ModelInput;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.LoadOptions;
import org.crate4j.zoo.Family;
import org.crate4j.zoo.Zoo;
import picocli.CommandLine.Option;

/**
 * The weights the analysis commands look inside, and how their inputs are normalised: a classifier
 * of any family ({@link Zoo}) or a CRATE-MAE encoder, whichever the file holds.
 */
final class ModelOptions {
    @Option(names = "--weights", required = true,
            description = "weights of any family (CRATE, CRATE-MAE, CRATE-α, ViT, ToST): a reference checkpoint (.pth) or crate4j .safetensors")
    Path weights;

    @Option(names = "--model", description = "preset naming heads/channels when a .pth leaves them open (e.g. crate-tiny, crate-mae-base, crate-alpha-b16)")
    String model;

    @Option(names = "--heads", defaultValue = "0", description = "number of heads, when neither the file nor --model says")
    int heads;

    /** The file's metadata (our mean/std), kept from {@link #load()} so the file is read once. */
    private Map<String, String> metadata;
    private Family family;
    /** Measures the loaded model's weights, on demand (only layerwise asks). */
    private Supplier<List<Incoherence.Layer>> incoherence;

    /** The model as a traced encoder on the requested device, running at the requested precision. */
    TracedEncoder encoder(RuntimeOptions runtime) {
        runtime.apply();
        return atPrecision(load(runtime.device()), runtime.precision());
    }

    /** A classifier's encoder (its layers before the head), or an MAE encoder with nothing masked, on {@code device}. */
    TracedEncoder load(Device device) {
        MaeWeights.Source src = MaeWeights.read(weights); // for a .pth also the MAE training arguments
        metadata = src.file().metadata();
        if (CheckpointKind.of(src.file().shapes(), metadata) == CheckpointKind.MAE) {
            family = Family.CRATE_MAE;
            CrateMae mae = MaeWeights.load(src, new MaeWeights.Options(model, heads, 0, true, null, null, null), device);
            incoherence = () -> Incoherence.of(mae);
            return TracedEncoder.of(mae);
        }
        family = Zoo.recognise(src.file());
        ImageClassifier classifier = Zoo.load(src, LoadOptions.builder().preset(model).heads(heads).build(), device).train(false);
        incoherence = () -> Incoherence.of(classifier);
        return TracedEncoder.of(classifier);
    }

    /** The family of the loaded weights (after {@link #encoder}); CRATE for files no family's keys name. */
    Family family() {
        return family == null ? Family.CRATE : family;
    }

    /** The loaded model's incoherence figures, one per layer, from its weights ({@link #load} first; empty for ViT and ToST). */
    List<Incoherence.Layer> incoherence() {
        if (incoherence == null) {
            throw new IllegalStateException("no model loaded");
        }
        return incoherence.get();
    }

    /** Our safetensors carry the training mean/std (classifier and MAE alike); reference checkpoints carry nothing. */
    ModelInput.Normalization normalization(int channels) {
        if (metadata == null) {
            metadata = WeightsFile.read(weights).metadata();
        }
        return ModelInput.normalization(channels, metadata);
    }

    private static TracedEncoder atPrecision(TracedEncoder base, Precision precision) {
        return base.withTracer(images -> {
            try (Precision.Scope s = precision.enter(base.device())) {
                return base.trace(images);
            }
        });
    }
}

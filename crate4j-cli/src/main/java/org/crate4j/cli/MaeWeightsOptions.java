package org.crate4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.analysis.ModelInput;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaeWeights;
import picocli.CommandLine.Option;

/** The CRATE-MAE weights a command reads, and how its inputs were normalised in pre-training. */
final class MaeWeightsOptions {
    @Option(names = "--weights", description = "CRATE-MAE weights: our .safetensors (mae-pretrain's last.safetensors) or an MAE .pth checkpoint")
    Path weights;

    @Option(names = "--model", description = "crate-mae-* preset naming heads when a .pth leaves them open")
    String model;

    @Option(names = "--heads", defaultValue = "0", description = "heads, when neither the file nor --model says")
    int heads;

    Path required(String why) {
        if (weights == null) {
            throw new CrateException("--weights FILE is required " + why);
        }
        return weights;
    }

    /** The model on {@code device}; {@code encoderOnly} accepts files without the decoder, {@code maskRatio} (or null) overrides the file's. */
    CrateMae load(boolean encoderOnly, Double maskRatio, Device device) {
        MaeWeights.Options o = new MaeWeights.Options(model, heads, 0, encoderOnly, null, maskRatio, null);
        return MaeWeights.load(required(""), o, device);
    }

    MaeConfig config() {
        return MaeWeights.configFor(MaeWeights.read(required("")), new MaeWeights.Options(model, heads, 0, true, null, null, null));
    }

    /** Our safetensors carry the pre-training mean/std; reference checkpoints carry nothing (ImageNet's, or 0.5 for grey). */
    ModelInput.Normalization normalization(int channels) {
        String name = required("").getFileName().toString().toLowerCase(Locale.ROOT);
        Map<String, String> metadata = name.endsWith(".safetensors") || name.endsWith(".st")
                ? WeightsFile.read(weights).metadata() : Map.of();
        return ModelInput.normalization(channels, metadata);
    }
}

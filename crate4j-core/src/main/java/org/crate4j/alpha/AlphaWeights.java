package org.crate4j.alpha;

import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.engine.Device;
import org.crate4j.model.FamilySafetensors;
import org.crate4j.model.LoadOptions;
import org.crate4j.model.StrictLoad;

/**
 * Loads and saves CRATE-α weights: the reference's PyTorch files (a plain state dict, read by the
 * safe unpickler, keys checked strictly by name and shape) and our safetensors with the config as
 * metadata.
 */
public final class AlphaWeights {
    public static final String FORMAT = CheckpointKind.ALPHA_FORMAT;

    private AlphaWeights() {}

    public static CrateAlpha load(Path path, LoadOptions opt) {
        return load(WeightsFile.read(path), opt);
    }

    /** The model on {@code device}: read to host memory, then moved. */
    public static CrateAlpha load(Path path, LoadOptions opt, Device device) {
        return load(WeightsFile.read(path), opt).to(device);
    }

    /** Builds the model from an already-read file; with {@code noHead} the head is freshly initialised. */
    public static CrateAlpha load(WeightsFile file, LoadOptions opt) {
        AlphaConfig config = configFor(file, opt);
        Map<String, Tensor> values = StrictLoad.values(file, config.parameterSpecs(), AlphaKeys.HEAD, opt.noHead(), hint(config),
                AlphaInit::draw);
        return CrateAlpha.fromTensors(config, values);
    }

    /** The architecture: our metadata when present, else read off the shapes ({@link AlphaLayout}). */
    public static AlphaConfig configFor(WeightsFile file, LoadOptions opt) {
        String json = file.metadata().get("config");
        if (json != null && FORMAT.equals(file.metadata().get("format"))) {
            AlphaConfig c = fromJson(json);
            return opt.noHead() && opt.classes() > 0 ? c.with(b -> b.classes(opt.classes())) : c;
        }
        return AlphaLayout.infer(file.path().toString(), file.shapes(), opt);
    }

    /** Writes our safetensors: the tensors plus the config and any extra metadata. Atomic. */
    public static void save(CrateAlpha model, Path path, Map<String, String> extraMetadata) {
        FamilySafetensors.write(model, path, extraMetadata);
    }

    public static String toJson(AlphaConfig c) {
        return FamilySafetensors.json(c);
    }

    public static AlphaConfig fromJson(String json) {
        return FamilySafetensors.config(json, AlphaConfig.class, "CRATE-α");
    }

    private static String hint(AlphaConfig c) {
        return "model built as CRATE-α dim " + c.dim() + ", depth " + c.depth() + ", heads " + c.heads() + " of width "
                + c.headDim() + ", patch " + c.patchSize() + ", image " + c.imageHeight() + "x" + c.imageWidth()
                + ", classes " + c.numClasses() + " (pass heads, image size or a preset to change)";
    }
}

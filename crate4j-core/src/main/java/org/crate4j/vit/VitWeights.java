package org.crate4j.vit;

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
 * Loads and saves ViT weights: timm state dicts (torch.save files read by the safe unpickler, or
 * timm's safetensors; keys checked strictly by name and shape) and our safetensors with the config
 * as metadata.
 */
public final class VitWeights {
    public static final String FORMAT = CheckpointKind.VIT_FORMAT;

    private VitWeights() {}

    public static VisionTransformer load(Path path, LoadOptions opt) {
        return load(WeightsFile.read(path), opt);
    }

    /** The model on {@code device}: read to host memory, then moved. */
    public static VisionTransformer load(Path path, LoadOptions opt, Device device) {
        return load(WeightsFile.read(path), opt).to(device);
    }

    /** Builds the model from an already-read file; with {@code noHead} the head is freshly initialised. */
    public static VisionTransformer load(WeightsFile file, LoadOptions opt) {
        VitConfig config = configFor(file, opt);
        Map<String, Tensor> values = StrictLoad.values(file, config.parameterSpecs(), VitKeys.HEAD + ".", opt.noHead(), hint(config),
                VitInit::draw);
        return VisionTransformer.fromTensors(config, values);
    }

    /** The architecture: our metadata when present, else read off the shapes ({@link VitLayout}). */
    public static VitConfig configFor(WeightsFile file, LoadOptions opt) {
        String json = file.metadata().get("config");
        if (json != null && FORMAT.equals(file.metadata().get("format"))) {
            VitConfig c = fromJson(json);
            return opt.noHead() && opt.classes() > 0 ? c.with(b -> b.classes(opt.classes())) : c;
        }
        return VitLayout.infer(file.path().toString(), file.shapes(), opt);
    }

    /** Writes our safetensors: the tensors plus the config and any extra metadata. Atomic. */
    public static void save(VisionTransformer model, Path path, Map<String, String> extraMetadata) {
        FamilySafetensors.write(model, path, extraMetadata);
    }

    public static String toJson(VitConfig c) {
        return FamilySafetensors.json(c);
    }

    public static VitConfig fromJson(String json) {
        return FamilySafetensors.config(json, VitConfig.class, "ViT");
    }

    private static String hint(VitConfig c) {
        return "model built as ViT dim " + c.dim() + ", depth " + c.depth() + ", heads " + c.heads() + ", MLP "
                + c.mlpHidden() + ", patch " + c.patchSize() + ", image " + c.imageHeight() + "x" + c.imageWidth()
                + ", classes " + c.numClasses() + " (pass heads, image size or a preset to change)";
    }
}

package org.crate4j.zoo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.crate4j.alpha.AlphaConfig;
import org.crate4j.alpha.AlphaPresets;
import org.crate4j.model.ParameterSpec;
import org.crate4j.tost.TostConfig;
import org.crate4j.tost.TostPresets;
import org.crate4j.vit.VitConfig;
import org.crate4j.vit.VitPresets;

/**
 * What {@code crate info --model} prints of a CRATE-α, ViT or ToST preset: its sizes in words,
 * the trainable parameters by part and in total, the tensors that are state rather than
 * parameters (ToST's BatchNorm statistics), and the forward FLOPs per image where the family
 * counts them (-1 otherwise), and every tensor's shape (to compare a file with).
 */
public record PresetSummary(String name, Family family, List<String> lines, Map<String, Long> parts, long parameters,
        long statistics, long flopsPerImage, Map<String, long[]> shapes) {

    static PresetSummary of(String name, Family family) {
        return switch (family) {
            case CRATE_ALPHA -> of(name, AlphaPresets.get(name));
            case VIT -> of(name, VitPresets.get(name));
            case TOST -> of(name, TostPresets.get(name));
            default -> throw new IllegalArgumentException(family + " presets are described by crate info itself");
        };
    }

    static PresetSummary of(String name, AlphaConfig c) {
        return build(name, Family.CRATE_ALPHA, List.of(
                String.format("image %dx%d, patch %d (conv1), channels %d -> %d patches + class token", c.imageHeight(),
                        c.imageWidth(), c.patchSize(), c.channels(), c.numPatches()),
                String.format("dim %d, depth %d, heads %d x %d, ODL dictionaries %d x %d (x%d overcomplete), eta %.3g lambda %.3g, "
                        + "classes %d", c.dim(), c.depth(), c.heads(), c.headDim(), c.dim(), c.codeDim(), c.overcomplete(),
                        c.eta(), c.lambda(), c.numClasses())),
                c.parameterSpecs(), PresetSummary::alphaPart, c.flopsPerImage());
    }

    static PresetSummary of(String name, VitConfig c) {
        return build(name, Family.VIT, List.of(
                String.format("image %dx%d, patch %d, channels %d -> %d patches + class token", c.imageHeight(), c.imageWidth(),
                        c.patchSize(), c.channels(), c.numPatches()),
                String.format("dim %d, depth %d, heads %d x %d, GELU MLP %d, classes %d", c.dim(), c.depth(), c.heads(),
                        c.headDim(), c.mlpHidden(), c.numClasses())),
                c.parameterSpecs(), PresetSummary::vitPart, c.flopsPerImage());
    }

    static PresetSummary of(String name, TostConfig c) {
        return build(name, Family.TOST, List.of(
                String.format("image %dx%d, convolutional stem of stride %d, channels %d -> %d patch tokens", c.imageHeight(),
                        c.imageWidth(), c.patchSize(), c.channels(), c.numPatches()),
                String.format("dim %d, depth %d TSSA blocks + %d class-attention blocks, heads %d x %d, MLP %d, layer scale %.0e, "
                        + "classes %d", c.dim(), c.depth(), c.classAttentionLayers(), c.heads(), c.headDim(), c.mlpHidden(),
                        c.layerScale(), c.numClasses())),
                c.parameterSpecs(), PresetSummary::tostPart, -1);
    }

    private static PresetSummary build(String name, Family family, List<String> lines, List<ParameterSpec> specs,
            Function<String, String> part, long flops) {
        Map<String, Long> parts = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long total = 0, stats = 0;
        for (ParameterSpec s : specs) {
            shapes.put(s.name(), s.shape());
            if (s.kind().trainable()) {
                parts.merge(part.apply(s.name()), s.numel(), Long::sum);
                total += s.numel();
            } else {
                stats += s.numel();
            }
        }
        return new PresetSummary(name, family, lines, parts, total, stats, flops, shapes);
    }

    private static String alphaPart(String key) {
        if (key.startsWith("conv1")) return "patch stem (conv1)";
        if (key.equals("cls_token") || key.equals("pos_embedding")) return "class token + positions";
        if (key.startsWith("mlp_head")) return "head";
        return key.matches("transformer\\.layers\\.\\d+\\.0\\..*") ? "MSSA (all layers)" : "ODL (all layers)";
    }

    private static String vitPart(String key) {
        if (key.startsWith("patch_embed")) return "patch stem";
        if (key.equals("cls_token") || key.equals("pos_embed")) return "class token + positions";
        if (key.contains(".attn.") || key.contains(".norm1.")) return "attention (all blocks)";
        if (key.startsWith("blocks.")) return "MLP (all blocks)";
        return "final norm + head";
    }

    private static String tostPart(String key) {
        if (key.startsWith("patch_embed")) return "convolutional stem";
        if (key.startsWith("pos_embeder")) return "Fourier position projection";
        if (key.startsWith("blocks.")) {
            return key.contains(".attn.") || key.contains(".norm1.") || key.contains(".gamma1") ? "TSSA (all blocks)" : "MLP (all blocks)";
        }
        if (key.equals("cls_token") || key.startsWith("cls_attn_blocks.")) return "class token + class attention";
        return "final norm + head";
    }
}

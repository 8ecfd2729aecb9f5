package org.crate4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.checkpoint.MaeWeights;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaePresets;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.Presets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Architecture, parameters per part and in total, and forward FLOPs per image of a model.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "crate-tiny", description = "preset name, crate-* or crate-mae-* (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--weights", description = "read the architecture from a weights file instead")
    java.nio.file.Path weights;

    @Option(names = "--heads", defaultValue = "0", description = "heads, for --weights files whose width matches no preset")
    int heads;

    @Option(names = "--verbose", description = "show stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        if (weights == null ? MaePresets.exists(model) : isMae(weights)) {
            MaeConfig m = weights == null ? MaePresets.get(model)
                    : MaeWeights.configFor(MaeWeights.read(weights), MaeWeights.Options.defaults().withHeads(heads, 0));
            printMae(weights == null ? model : weights.toString(), m);
            return 0;
        }
        CrateConfig c = weights == null ? Presets.get(model)
                : org.crate4j.checkpoint.CrateWeights.configFor(org.crate4j.checkpoint.WeightsFile.read(weights),
                        new org.crate4j.checkpoint.CrateWeights.Options(model, heads, false, 0, null));
        System.out.println((weights == null ? model : weights.toString()) + ": CRATE classifier");
        System.out.printf("  image %dx%d, patch %d%s, channels %d -> %d patches + class token%n",
                c.imageHeight(), c.imageWidth(), c.patchSize(),
                (c.patchWindow() == c.patchSize() ? "" : " (embedded from " + c.patchWindow() + "x" + c.patchWindow() + " overlapping windows)")
                        + (c.patchCode() > 0 ? " (each coded against " + c.patchCode() + " atoms)" : ""),
                c.channels(), c.numPatches());
        System.out.printf("  dim %d, depth %d, heads %d x %d, pooling %s, ISTA eta %.3g lambda %.3g, classes %d%n",
                c.dim(), c.depth(), c.heads(), c.headDim(), c.pool().name().toLowerCase(), c.eta(), c.lambda(), c.numClasses());
        Map<String, Long> parts = new LinkedHashMap<>();
        c.parameterShapes().forEach((k, s) -> {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            parts.merge(part(k), n, Long::sum);
        });
        parts.forEach((k, n) -> System.out.printf("  %-28s %,15d%n", k, n));
        System.out.printf("  %-28s %,15d%n", "parameters (total)", c.parameterCount());
        System.out.printf("  %-28s %,15.3f%n", "GFLOPs per image (forward)", c.flopsPerImage() / 1e9);
        return 0;
    }

    private static boolean isMae(java.nio.file.Path file) {
        WeightsFile f = WeightsFile.read(file);
        return CheckpointKind.of(f.shapes(), f.metadata()) == CheckpointKind.MAE;
    }

    private static void printMae(String name, MaeConfig c) {
        System.out.println(name + ": CRATE-MAE (masked autoencoder)");
        System.out.printf("  image %dx%d, patch %d, channels %d -> %d patches + class token; mask ratio %.2f%s%n", c.imageSize(),
                c.imageSize(), c.patchSize(), c.channels(), c.numPatches(), c.maskRatio(), c.normPixLoss() ? ", norm-pix loss" : "");
        System.out.printf("  encoder dim %d, depth %d, heads %d x %d, ISTA eta %.3g lambda %.3g; decoder dim %d, depth %d, heads %d%n",
                c.encoderDim(), c.encoderDepth(), c.encoderHeads(), c.encoderHeadDim(), c.eta(), c.lambda(), c.decoderDim(),
                c.decoderDepth(), c.decoderHeads());
        Map<String, Long> parts = new LinkedHashMap<>();
        c.trainableShapes().forEach((k, s) -> {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            parts.merge(maePart(k), n, Long::sum);
        });
        parts.forEach((k, n) -> System.out.printf("  %-34s %,15d%n", k, n));
        System.out.printf("  %-34s %,15d%n", "parameters (trainable)", c.parameterCount());
        System.out.printf("  %-34s %,15d%n", "fixed sine-cosine tables", c.fixedCount());
        System.out.printf("  %-34s %,15.3f%n", "GFLOPs per image (forward)", c.flopsPerImage() / 1e9);
    }

    private static String maePart(String key) {
        if (key.startsWith("patch_embed")) return "patch embedding";
        if (key.equals("cls_token") || key.equals("mask_token")) return "class + mask tokens";
        if (key.startsWith("blocks.")) return key.contains(".layers.0.0.") ? "encoder MSSA (all layers)" : "encoder ISTA (all layers)";
        if (key.startsWith("norm.")) return "encoder norm";
        if (key.startsWith("decoder_embed")) return "decoder_embed (unused by forward)";
        if (key.startsWith("decoder_blocks.")) {
            return key.contains(".layers.0.0.") ? "decoder dictionary (all layers)" : "decoder MSSA (all layers)";
        }
        return "decoder norm + prediction";
    }

    private static String part(String key) {
        if (key.startsWith("to_patch_embedding")) return "patch embedding";
        if (key.equals("cls_token") || key.equals("pos_embedding")) return "class token + positions";
        if (key.startsWith("mlp_head")) return "head";
        if (key.contains(".0.")) return "MSSA (all layers)";
        return "ISTA (all layers)";
    }
}

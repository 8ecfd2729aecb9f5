package org.crate4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.Presets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Architecture, parameters per part and in total, and forward FLOPs per image of a model.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "crate-tiny", description = "preset name (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--weights", description = "read the architecture from a weights file instead")
    java.nio.file.Path weights;

    @Option(names = "--heads", defaultValue = "0", description = "heads, for --weights files whose width matches no preset")
    int heads;

    @Option(names = "--verbose", description = "show stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        CrateConfig c = weights == null ? Presets.get(model)
                : org.crate4j.checkpoint.CrateWeights.configFor(org.crate4j.checkpoint.WeightsFile.read(weights),
                        new org.crate4j.checkpoint.CrateWeights.Options(model, heads, false, 0, null));
        System.out.println((weights == null ? model : weights.toString()) + ": CRATE classifier");
        System.out.printf("  image %dx%d, patch %d, channels %d -> %d patches + class token%n",
                c.imageHeight(), c.imageWidth(), c.patchSize(), c.channels(), c.numPatches());
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

    private static String part(String key) {
        if (key.startsWith("to_patch_embedding")) return "patch embedding";
        if (key.equals("cls_token") || key.equals("pos_embedding")) return "class token + positions";
        if (key.startsWith("mlp_head")) return "head";
        if (key.contains(".0.")) return "MSSA (all layers)";
        return "ISTA (all layers)";
    }
}

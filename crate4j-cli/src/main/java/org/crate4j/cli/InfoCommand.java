package org.crate4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.CheckpointKind;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaePresets;
import org.crate4j.model.Attention;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.MssaOutput;
import org.crate4j.model.Presets;
import org.crate4j.zoo.Family;
import org.crate4j.zoo.FileSummary;
import org.crate4j.zoo.PresetSummary;
import org.crate4j.zoo.WeightsInspection;
import org.crate4j.zoo.Zoo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = {"Architecture, parameters per part and in total, and forward FLOPs per image of a model.",
                "With --weights: what the file is, without building the model: its family and layout (which script wrote it), "
                        + "the config read off its shapes, the presets it matches, the keys a loader would ignore, miss or refuse, "
                        + "and its element types."})
final class InfoCommand implements Callable<Integer> {
    private static final String DEFAULT_MODEL = "crate-tiny";

    @Option(names = "--model", description = "preset name of any family: crate-*, crate-mae-*, crate-alpha-*, vit-*, tost-* (default: " + DEFAULT_MODEL
            + "); with --weights, the preset naming the heads as the other commands read it")
    String model;

    @Option(names = "--weights", description = "describe a weights file instead")
    Path weights;

    @Option(names = "--heads", defaultValue = "0", description = "heads, for --weights files whose width matches no preset")
    int heads;

    @Option(names = "--attention", paramLabel = "STEP", description = "CRATE and CRATE-MAE presets: count them with mssa (their "
            + "own) or tssa (ToST's token statistics self-attention, which adds a per-head temp) in every layer")
    String attention;

    @Option(names = "--verbose", description = "show stack traces on errors")
    boolean verbose;

    @Override
    public Integer call() {
        Attention step = attention != null ? Attention.parse(attention) : null;
        if (step != null && weights != null) {
            throw new CrateException("--attention chooses a preset's compression step; a weights file says its own: drop it");
        }
        if (weights != null) {
            describe(WeightsInspection.of(weights, model, heads));
            return 0;
        }
        String name = model != null ? model : DEFAULT_MODEL;
        Family family = Zoo.family(name); // an unknown name fails here, listing every family's presets
        if (step != null && (family == Family.CRATE_ALPHA || family == Family.VIT || family == Family.TOST)) {
            throw new CrateException("--attention chooses the compression step of a CRATE or CRATE-MAE preset, not " + name + "'s: drop it");
        }
        if (family == Family.CRATE_ALPHA || family == Family.VIT || family == Family.TOST) {
            System.out.println(name + ": " + family.label());
            printSummary(Zoo.summary(name));
        } else if (MaePresets.exists(name)) {
            System.out.println(name + ": CRATE-MAE (masked autoencoder)");
            MaeConfig c = MaePresets.get(name);
            printMae(step != null ? c.withAttention(step) : c);
        } else {
            System.out.println(name + ": CRATE classifier" + (Presets.isPublished(name) ? " (the layout of a published checkpoint)" : ""));
            CrateConfig c = Presets.get(name);
            printClassifier(step != null ? c.withAttention(step) : c, true);
        }
        return 0;
    }

    /** The file's family, layout, config, keys and dtypes, as {@link WeightsInspection} read them. */
    private void describe(WeightsInspection w) {
        Family family = Family.of(w.kind());
        System.out.println(w.path() + ": " + (w.classifier() != null || w.kind() == CheckpointKind.CLASSIFIER
                ? "CRATE classifier" : w.mae() != null || w.kind() == CheckpointKind.MAE
                ? "CRATE-MAE (masked autoencoder)" : family != null ? family.label() : "not a checkpoint of any family crate4j knows"));
        System.out.println("  layout: " + w.layout());
        List<String> types = new ArrayList<>();
        w.dtypes().forEach((t, n) -> types.add(t + " x" + n));
        System.out.printf("  file: %s, %d tensors, %,d values, dtype %s%n", w.container(), w.tensors(), w.values(),
                types.isEmpty() ? "none" : String.join(", ", types));
        System.out.println("  ignored: " + (w.ignored().isEmpty() ? "nothing" : String.join("; ", w.ignored())));
        if (!w.presets().isEmpty()) {
            System.out.println("  shapes of preset " + String.join(", ", w.presets()));
        }
        FileSummary other = FileSummary.of(w, model, heads);
        if (other != null) {
            describeOther(w, other);
            return;
        }
        if (w.problem() != null) {
            System.out.println("  config: not read: " + w.problem());
        } else if (w.classifier() != null) {
            printClassifier(w.classifier(), w.headsKnown());
        } else if (w.mae() != null) {
            printMae(w.mae());
        }
        if (w.problem() == null) {
            System.out.println("  keys: " + (w.missing().isEmpty() && w.unexpected().isEmpty() && w.misShaped().isEmpty()
                    ? "exactly the " + w.tensors() + " the model expects" : keyProblems(w)));
        }
    }

    /** A CRATE-α, ViT or ToST file: the config its family's loader reads and how the keys compare with it. */
    private static void describeOther(WeightsInspection w, FileSummary f) {
        if (f.problem() != null) {
            System.out.println("  config: not read: " + f.problem());
            return;
        }
        printSummary(f.config());
        System.out.println("  keys: " + (f.missing().isEmpty() && f.unexpected().isEmpty() && f.misShaped().isEmpty()
                ? "exactly the " + w.tensors() + " the model expects" : keyProblems(f.missing(), f.unexpected(), f.misShaped())));
    }

    private static String keyProblems(WeightsInspection w) {
        return keyProblems(w.missing(), w.unexpected(), w.misShaped());
    }

    private static String keyProblems(List<String> missing, List<String> unexpected, List<String> misShaped) {
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) parts.add(missing.size() + " missing " + firstFew(missing));
        if (!unexpected.isEmpty()) parts.add(unexpected.size() + " unexpected " + firstFew(unexpected));
        if (!misShaped.isEmpty()) parts.add(misShaped.size() + " mis-shaped " + firstFew(misShaped));
        return String.join("; ", parts) + " (a loader refuses the file as it is)";
    }

    /** A CRATE-α, ViT or ToST config: its sizes, trainable parameters by part and in total, and FLOPs where counted. */
    private static void printSummary(PresetSummary s) {
        s.lines().forEach(l -> System.out.println("  " + l));
        s.parts().forEach((k, n) -> System.out.printf("  %-34s %,15d%n", k, n));
        System.out.printf("  %-34s %,15d%n", "parameters (total)", s.parameters());
        if (s.statistics() > 0) {
            System.out.printf("  %-34s %,15d%n", "BatchNorm running statistics", s.statistics());
        }
        if (s.flopsPerImage() > 0) {
            System.out.printf("  %-34s %,15.3f%n", "GFLOPs per image (forward)", s.flopsPerImage() / 1e9);
        }
    }

    private static String firstFew(List<String> items) {
        return "[" + String.join("; ", items.subList(0, Math.min(4, items.size()))) + (items.size() > 4 ? "; …" : "") + "]";
    }

    private static void printClassifier(CrateConfig c, boolean headsKnown) {
        System.out.printf("  image %dx%d, patch %d%s, channels %d -> %d patches + class token%n",
                c.imageHeight(), c.imageWidth(), c.patchSize(),
                (c.patchWindow() == c.patchSize() ? "" : " (embedded from " + c.patchWindow() + "x" + c.patchWindow() + " overlapping windows)")
                        + (c.patchCode() > 0 ? " (each coded against " + c.patchCode() + " atoms)" : ""),
                c.channels(), c.numPatches());
        System.out.printf("  dim %d, depth %d, %s, pooling %s, ISTA eta %.3g lambda %.3g, classes %d%n", c.dim(), c.depth(),
                headsKnown ? "heads " + c.heads() + " x " + c.headDim()
                        : "heads unknown (the shapes fix only heads x width = " + c.innerDim() + ": pass --heads H or --model)",
                c.pool().name().toLowerCase(), c.eta(), c.lambda(), c.numClasses());
        if (c.mssa() == MssaOutput.TIED) {
            System.out.println("  MSSA: tied, each head returns through its own subspace basis ([U_1 ... U_K] times a learned scale)");
        }
        if (c.attention() != Attention.MSSA) {
            System.out.println("  compression step: " + c.attention() + " (linear in the tokens; temp, qkv and to_out under transformer.layers.*.0.fn)");
        }
        System.out.println(c.twoStageHead()
                ? "  head: mlp_head LayerNorm + Linear(" + c.dim() + " -> " + c.headHidden() + "), then head Linear(" + c.headHidden()
                        + " -> " + c.numClasses() + ")"
                : "  head: mlp_head LayerNorm + Linear(" + c.dim() + " -> " + c.numClasses() + ")");
        Map<String, Long> parts = new LinkedHashMap<>();
        c.parameterShapes().forEach((k, s) -> {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            String part = part(k);
            parts.merge(c.attention() == Attention.TSSA ? part.replace("MSSA", "TSSA") : part, n, Long::sum);
        });
        parts.forEach((k, n) -> System.out.printf("  %-28s %,15d%n", k, n));
        System.out.printf("  %-28s %,15d%n", "parameters (total)", c.parameterCount());
        System.out.printf("  %-28s %,15.3f%n", "GFLOPs per image (forward)", c.flopsPerImage() / 1e9);
    }

    private static void printMae(MaeConfig c) {
        System.out.printf("  image %dx%d, patch %d, channels %d -> %d patches + class token; mask ratio %.2f%s%n", c.imageSize(),
                c.imageSize(), c.patchSize(), c.channels(), c.numPatches(), c.maskRatio(), c.normPixLoss() ? ", norm-pix loss" : "");
        System.out.printf("  encoder dim %d, depth %d, heads %d x %d, ISTA eta %.3g lambda %.3g; decoder dim %d, depth %d, heads %d%n",
                c.encoderDim(), c.encoderDepth(), c.encoderHeads(), c.encoderHeadDim(), c.eta(), c.lambda(), c.decoderDim(),
                c.decoderDepth(), c.decoderHeads());
        boolean tssa = c.attention() == Attention.TSSA;
        if (tssa) {
            System.out.println("  compression step: TSSA in encoder and decoder (linear in the tokens; temp, qkv and to_out under "
                    + "blocks.*.layers.0.0.fn and decoder_blocks.*.layers.0.1.fn)");
        }
        Map<String, Long> parts = new LinkedHashMap<>();
        c.trainableShapes().forEach((k, s) -> {
            long n = 1;
            for (long d : s) {
                n *= d;
            }
            String part = maePart(k);
            parts.merge(tssa ? part.replace("MSSA", "TSSA") : part, n, Long::sum);
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
        if (key.startsWith("mlp_head") || key.startsWith("head.")) return "head";
        if (key.matches("transformer\\.layers\\.\\d+\\.0\\..*")) return "MSSA (all layers)"; // layer i's 0. block (1. is ISTA)
        return "ISTA (all layers)";
    }
}

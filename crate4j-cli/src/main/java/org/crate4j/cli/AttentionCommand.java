package org.crate4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.analysis.AnalysisArrays;
import org.crate4j.analysis.AttentionMaps;
import org.crate4j.analysis.ClassTokenAttention;
import org.crate4j.analysis.HeadMaps;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.Overlays;
import org.crate4j.viz.TileGrid;
import org.crate4j.zoo.Family;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "attention", mixinStandardHelpOptions = true,
        description = {"Class-token attention maps of every head at one layer, overlaid on each image (the segmentation paper's figure).",
                "Writes OUT/<image>_attention.png: the image, one tile per head and their mean, each scaled to its own maximum.",
                "--json prints instead, per image, the attention of every head to every patch (heads x patches, row-major) "
                        + "and to the class token itself; --save-arrays saves attention (heads, rows, cols) and class_token (heads).",
                "ToST has no attention between tokens: for it, each head's map is TSSA's token weights Pi_h,n / sum_n Pi_h,n, the "
                        + "weights with which the head averages its second moment (Pi: each token's soft membership of the heads); "
                        + "its class-token entry is 0."})
final class AttentionCommand implements Callable<Integer> {
    static final String PICTURES = "out/attention";

    @Mixin
    ModelOptions weights;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "images (JPEG/PNG/BMP/GIF)")
    List<Path> images;

    @Option(names = "--layer", description = "0-based layer (default: the penultimate)")
    Integer layer;

    @Option(names = "--size", description = "resize images to SIZE x SIZE, a multiple of the patch (default: the model's input size)")
    Integer size;

    @Option(names = "--out", description = "folder for the pictures (default: " + PICTURES + ")")
    Path out;

    @Mixin
    AnalysisOutput output;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        output.check(out, images);
        TracedEncoder encoder = weights.encoder(runtime);
        boolean tokenWeights = weights.family() == Family.TOST;
        int l = encoder.checkLayer(layer == null ? AttentionMaps.penultimate(encoder.depth()) : layer);
        int s = InputImage.size(size, encoder.imageHeight(), encoder.patchSize());
        var norm = weights.normalization(encoder.channels());
        for (Path p : images) {
            InputImage img = InputImage.load(p, s, encoder.channels(), norm);
            ClassTokenAttention a = ClassTokenAttention.of(encoder, img.input(), l).get(0);
            AnalysisJson.Provenance from = new AnalysisJson.Provenance(img, weights.weights, s, encoder.depth());
            if (output.json) {
                com.google.gson.JsonObject o = AnalysisJson.attention(from, a);
                if (tokenWeights) {
                    o.addProperty("shows", TOKEN_WEIGHTS);
                }
                output.print(o);
            } else {
                Path file = AnalysisOutput.pictures(out, PICTURES).resolve(img.name() + "_attention.png");
                AtomicWrite.png(picture(img, a, s, encoder.depth(), tokenWeights), file);
                output.say("wrote " + file);
            }
            output.save(from, "attention", a, AnalysisArrays.of(a), Map.of());
        }
        return 0;
    }

    /** What a ToST map shows (see the command's description). */
    static final String TOKEN_WEIGHTS = "TSSA token weights Pi_h,n / sum_n Pi_h,n per head (ToST: no attention between tokens)";

    private static java.awt.image.BufferedImage picture(InputImage img, ClassTokenAttention a, int s, int depth, boolean tokenWeights) {
        HeadMaps maps = a.pixels(s, s);
        List<TileGrid.Tile> tiles = new ArrayList<>();
        tiles.add(new TileGrid.Tile("image", Overlays.image(img.display())));
        for (int j = 0; j < maps.heads(); j++) {
            tiles.add(new TileGrid.Tile("head " + j, Overlays.heatmap(img.display(), scaledToMax(maps.head(j)), 0.6)));
        }
        tiles.add(new TileGrid.Tile("mean of heads", Overlays.heatmap(img.display(), scaledToMax(maps.mean()), 0.6)));
        String heading = img.name() + (tokenWeights ? ": TSSA token weights \u03a0 / \u03a3\u03a0" : ": class-token attention") + ", layer "
                + a.layer() + " of 0-" + (depth - 1) + ", " + s + "x" + s;
        return TileGrid.render(heading, tiles, Math.min(4, tiles.size()),
                new TileGrid.ColorBar(tokenWeights ? "token weight / tile maximum" : "attention / tile maximum", "0", "1"));
    }

    /** Each head's weights are tiny and differ in range; dividing by the maximum shows their shape. */
    static float[] scaledToMax(float[] v) {
        float max = 0;
        for (float f : v) {
            max = Math.max(max, f);
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = max > 0 ? v[i] / max : 0;
        }
        return out;
    }
}

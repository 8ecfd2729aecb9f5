package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.analysis.AnalysisArrays;
import org.crate4j.analysis.FeaturePca;
import org.crate4j.analysis.PatchGrid;
import org.crate4j.analysis.PcaMaps;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.Overlays;
import org.crate4j.viz.TileGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pca", mixinStandardHelpOptions = true,
        description = {"PCA of the key features (per-patch qkv outputs, heads concatenated) at one layer, pooled over all given images.",
                "The first component, thresholded at half its per-image range, is the foreground; its sign is chosen so the foreground touches the image border less. Components 2-4 become RGB.",
                "Writes OUT/<image>_pca.png per image and OUT/pca.json.",
                "--json prints instead, per image, components 1-4 (components x patches, row-major, unscaled) and the foreground mask; "
                        + "--save-arrays saves components (4, rows, cols), foreground (rows, cols) and the explained variances."})
final class PcaCommand implements Callable<Integer> {
    static final String PICTURES = "out/pca";

    @Mixin
    ModelOptions weights;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "images (JPEG/PNG/BMP/GIF)")
    List<Path> images;

    @Option(names = "--layer", description = "0-based layer (default: the last, e.g. 11 of a 12-layer model)")
    Integer layer;

    @Option(names = "--size", description = "resize images to SIZE x SIZE, a multiple of the patch (default: the model's input size)")
    Integer size;

    @Option(names = "--out", description = "folder for the pictures and pca.json (default: " + PICTURES + ")")
    Path out;

    @Mixin
    AnalysisOutput output;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        output.check(out, images);
        TracedEncoder encoder = weights.encoder(runtime);
        int l = encoder.checkLayer(layer == null ? FeaturePca.lastLayer(encoder.depth()) : layer);
        int s = InputImage.size(size, encoder.imageHeight(), encoder.patchSize());
        var norm = weights.normalization(encoder.channels());
        List<InputImage> inputs = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        for (Path p : images) {
            InputImage img = InputImage.load(p, s, encoder.channels(), norm);
            inputs.add(img);
            tensors.add(img.input());
        }
        List<PcaMaps> maps = PcaMaps.of(encoder, tensors, l);
        Path dir = AnalysisOutput.pictures(out, PICTURES);
        JsonArray perImage = new JsonArray();
        for (int b = 0; b < inputs.size(); b++) {
            InputImage img = inputs.get(b);
            PcaMaps m = maps.get(b);
            AnalysisJson.Provenance from = new AnalysisJson.Provenance(img, weights.weights, s, encoder.depth());
            if (output.json) {
                output.print(AnalysisJson.pca(from, m));
            } else {
                Path file = dir.resolve(img.name() + "_pca.png");
                AtomicWrite.png(picture(img, m, s), file);
                output.say("wrote " + file);
                JsonObject o = new JsonObject();
                o.addProperty("image", img.path().toString());
                o.addProperty("foregroundPatches", PatchGrid.count(m.foreground()));
                o.addProperty("patches", m.patches());
                perImage.add(o);
            }
            output.save(from, "pca", m, AnalysisArrays.of(m), Map.of("pooled_images", Integer.toString(m.pooledImages())));
        }
        if (!output.json) {
            summary(maps.get(0), l, s, perImage, dir.resolve("pca.json"));
        }
        return 0;
    }

    private static java.awt.image.BufferedImage picture(InputImage img, PcaMaps m, int s) {
        int gh = m.gridHeight(), gw = m.gridWidth();
        float[] pc1 = PatchGrid.resize(m.scaled(0), gh, gw, 1, s, s);
        boolean[] fg = PatchGrid.resize(m.foreground(), gh, gw, s, s);
        float[] rgb = PatchGrid.resize(m.rgb(), gh, gw, 3, s, s);
        float[] rgbForeground = rgb.clone();
        for (int i = 0; i < fg.length; i++) {
            if (!fg[i]) {
                rgbForeground[i * 3] = rgbForeground[i * 3 + 1] = rgbForeground[i * 3 + 2] = 0;
            }
        }
        List<TileGrid.Tile> tiles = List.of(
                new TileGrid.Tile("image", Overlays.image(img.display())),
                new TileGrid.Tile("PC1 (scaled per image)", Overlays.heatmap(img.display(), pc1, 0.7)),
                new TileGrid.Tile("foreground: PC1 > 1/2", Overlays.mask(img.display(), fg, 0x00C853)),
                new TileGrid.Tile("PC2-4 as RGB", Overlays.rgb(rgb, s, s)),
                new TileGrid.Tile("PC2-4 on foreground", Overlays.rgb(rgbForeground, s, s)));
        return TileGrid.render(img.name() + ": PCA of key features, layer " + m.layer() + ", " + m.pooledImages() + " image(s) pooled",
                tiles, tiles.size(), new TileGrid.ColorBar("PC1, min-max per image", "0", "1"));
    }

    private void summary(PcaMaps pooled, int l, int s, JsonArray perImage, Path file) {
        JsonObject json = new JsonObject();
        json.addProperty("weights", weights.weights.toString());
        json.addProperty("layer", l);
        json.addProperty("size", s);
        json.add("explainedVariance", Json.numbers(pooled.explainedVariance()));
        json.add("explainedVarianceRatio", Json.numbers(pooled.explainedVarianceRatio()));
        json.add("images", perImage);
        AtomicWrite.text(Json.GSON.toJson(json) + "\n", file);
        System.out.printf("explained variance ratio of components 1-%d: %s%nwrote %s%n", pooled.components().length,
                Arrays.toString(Arrays.stream(pooled.explainedVarianceRatio()).map(v -> Math.round(v * 1e4) / 1e4).toArray()), file);
    }
}

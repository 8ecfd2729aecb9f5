package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.analysis.FeaturePca;
import org.crate4j.analysis.PatchGrid;
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
                "Writes OUT/<image>_pca.png per image and OUT/pca.json."})
final class PcaCommand implements Callable<Integer> {
    @Mixin
    ModelOptions weights;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "images (JPEG/PNG/BMP/GIF)")
    List<Path> images;

    @Option(names = "--layer", description = "0-based layer (default: the last, e.g. 11 of a 12-layer model)")
    Integer layer;

    @Option(names = "--size", description = "resize images to SIZE x SIZE, a multiple of the patch (default: the model's input size)")
    Integer size;

    @Option(names = "--out", defaultValue = "out/pca", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        TracedEncoder encoder = weights.encoder(runtime);
        int l = encoder.checkLayer(layer == null ? FeaturePca.lastLayer(encoder.depth()) : layer);
        int s = InputImage.size(size, encoder.imageHeight(), encoder.patchSize()), g = s / encoder.patchSize();
        var norm = weights.normalization(encoder.channels());
        List<InputImage> inputs = new ArrayList<>();
        TensorVector features = new TensorVector();
        for (Path p : images) {
            InputImage img = InputImage.load(p, s, encoder.channels(), norm);
            inputs.add(img);
            features.push_back(FeaturePca.keyFeatures(encoder, img.input(), l));
        }
        Tensor all = torch.cat(features, 0);
        FeaturePca.Result r = FeaturePca.fit(all, g, g, FeaturePca.COMPONENTS);
        JsonObject json = new JsonObject();
        json.addProperty("weights", weights.weights.toString());
        json.addProperty("layer", l);
        json.addProperty("size", s);
        json.add("explainedVariance", Json.numbers(r.explainedVariance()));
        json.add("explainedVarianceRatio", Json.numbers(r.explainedVarianceRatio()));
        JsonArray perImage = new JsonArray();
        for (int b = 0; b < inputs.size(); b++) {
            InputImage img = inputs.get(b);
            float[] pc1 = PatchGrid.resize(r.scaled(b, 0), g, g, 1, s, s);
            boolean[] fg = PatchGrid.resize(r.foreground(b), g, g, s, s);
            float[] rgb = PatchGrid.resize(r.rgb(b), g, g, 3, s, s);
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
            Path file = out.resolve(img.name() + "_pca.png");
            AtomicWrite.png(TileGrid.render(img.name() + ": PCA of key features, layer " + l + ", " + inputs.size() + " image(s) pooled",
                    tiles, tiles.size(), new TileGrid.ColorBar("PC1, min-max per image", "0", "1")), file);
            System.out.println("wrote " + file);
            JsonObject o = new JsonObject();
            o.addProperty("image", img.path().toString());
            o.addProperty("foregroundPatches", PatchGrid.count(r.foreground(b)));
            o.addProperty("patches", g * g);
            perImage.add(o);
        }
        json.add("images", perImage);
        Path file = out.resolve("pca.json");
        AtomicWrite.text(Json.GSON.toJson(json) + "\n", file);
        System.out.printf("explained variance ratio of components 1-%d: %s%nwrote %s%n", r.components(),
                java.util.Arrays.toString(java.util.Arrays.stream(r.explainedVarianceRatio()).map(v -> Math.round(v * 1e4) / 1e4).toArray()), file);
        return 0;
    }
}

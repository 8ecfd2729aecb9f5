package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.crate4j.analysis.AttentionMaps;
import org.crate4j.analysis.ClassTokenAttention;
import org.crate4j.analysis.FeaturePca;
import org.crate4j.analysis.ImageSegmentation;
import org.crate4j.analysis.Layerwise;
import org.crate4j.analysis.PcaMaps;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.api.Classification;
import org.crate4j.api.CrateModel;
import org.crate4j.model.LayerTrace;

/**
 * What the explorer page shows of one image, computed by the calls the CLI commands make (predict,
 * attention, pca, segment, layerwise) and returned in their {@code --json} documents. The image
 * is prepared as those commands prepare a file: stretched to the model's input size, normalised
 * with the weights' statistics. Every tensor of a request is freed before it returns.
 */
final class ExplorerAnalysis {
    private ExplorerAnalysis() {}

    /** What the page needs to lay out its views: kind, layers, input size, patch, classes and each view's default layer. */
    static JsonObject model(CrateModel m, Path weights) {
        TracedEncoder e = m.encoder();
        JsonObject o = new JsonObject();
        o.addProperty("weights", weights.toString());
        o.addProperty("name", weights.getFileName().toString());
        o.addProperty("kind", m.kind());
        o.addProperty("layers", m.layers());
        o.addProperty("classes", m.classes());
        o.addProperty("size", e.imageHeight());
        o.addProperty("patch", e.patchSize());
        o.addProperty("channels", e.channels());
        o.addProperty("device", m.device().toString());
        o.addProperty("precision", m.precision().toString());
        o.addProperty("attentionLayer", AttentionMaps.penultimate(m.layers()));
        o.addProperty("pcaLayer", FeaturePca.lastLayer(m.layers()));
        return o;
    }

    /** The top classes as {@code crate predict --json} lists them; a CRATE-MAE encoder has none (top is null, reason says why). */
    static JsonObject predict(CrateModel m, Uploads.Upload u, int top) {
        JsonObject o = new JsonObject();
        o.addProperty("image", u.name().toString());
        if (m.classes() == 0) {
            o.add("top", null);
            o.addProperty("reason", "a CRATE-MAE encoder has no classifier head");
            return o;
        }
        JsonArray guesses = new JsonArray();
        for (Classification c : m.predict(u.image(), Math.min(top, m.classes()))) {
            JsonObject g = new JsonObject();
            g.addProperty("index", c.index());
            g.addProperty("label", c.label());
            g.addProperty("probability", c.probability());
            guesses.add(g);
        }
        o.add("top", guesses);
        return o;
    }

    /**
     * One forward pass read at every layer: the class-token attention of each (crate attention --json's
     * document per layer) and the image's coding rate and sparsity per layer (crate layerwise's
     * statistics over this one image, so every std is 0).
     */
    static JsonObject layers(CrateModel m, Path weights, Uploads.Upload u) {
        return prepared(m, weights, u, (img, from) -> {
            TracedEncoder encoder = m.encoder();
            int grid = from.size() / encoder.patchSize(); // the image is stretched to size x size, as crate attention does
            JsonArray attention = new JsonArray();
            Layerwise layerwise = new Layerwise(encoder.depth());
            try (NoGradGuard noGrad = new NoGradGuard()) {
                List<LayerTrace> traces = encoder.trace(img.input());
                for (int l = 0; l < traces.size(); l++) {
                    ClassTokenAttention a = ClassTokenAttention.fromAttention(traces.get(l).attention(), l, grid, grid).get(0);
                    attention.add(AnalysisJson.attention(from, a));
                }
                layerwise.add(traces);
            }
            JsonObject o = new JsonObject();
            o.add("attention", attention);
            o.add("layerwise", Json.GSON.toJsonTree(layerwise.result()));
            return o;
        });
    }

    /** crate pca --json's document for this image alone at {@code layer}. */
    static JsonObject pca(CrateModel m, Path weights, Uploads.Upload u, int layer) {
        return prepared(m, weights, u, (img, from) -> AnalysisJson.pca(from, PcaMaps.of(m.encoder(), List.of(img.input()), layer).get(0)));
    }

    /** crate segment --json's document at {@code layer}: coarse masks per head and MaskCut's objects. */
    static JsonObject segment(CrateModel m, Path weights, Uploads.Upload u, int layer, int objects, double tau, double mass) {
        return prepared(m, weights, u, (img, from) ->
                AnalysisJson.segment(from, ImageSegmentation.of(m.encoder(), img.input(), layer, mass, objects, tau), mass, tau));
    }

    private interface Work {
        JsonObject on(InputImage image, AnalysisJson.Provenance from);
    }

    private static JsonObject prepared(CrateModel m, Path weights, Uploads.Upload u, Work work) {
        TracedEncoder e = m.encoder();
        int s = InputImage.size(null, e.imageHeight(), e.patchSize());
        try (PointerScope scope = new PointerScope()) {
            InputImage img = InputImage.of(u.name(), u.image(), s, e.channels(), m.normalization());
            return work.on(img, new AnalysisJson.Provenance(img, weights, s, e.depth()));
        }
    }
}

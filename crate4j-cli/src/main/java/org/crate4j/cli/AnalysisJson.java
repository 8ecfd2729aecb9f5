package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.analysis.AnalysisArrays;
import org.crate4j.analysis.ClassTokenAttention;
import org.crate4j.analysis.ImageSegmentation;
import org.crate4j.analysis.OnPatchGrid;
import org.crate4j.analysis.PatchGrid;
import org.crate4j.analysis.PcaMaps;

/**
 * The JSON documents of {@code --json}, one per image. Every document opens with the same header
 * (kind, version, image, path, weights, layer, depth, size, grid) and holds its maps as arrays over
 * the patches in row-major grid order, so {@code patch = row·cols + col}; masks are 0/1.
 */
final class AnalysisJson {
    private AnalysisJson() {}

    /**
     * Where a result came from.
     *
     * @param size  the side the image was resized to
     * @param depth the model's number of layers
     */
    record Provenance(InputImage image, Path weights, int size, int depth) {
        /** The same facts as safetensors metadata (strings). */
        Map<String, String> metadata() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("image", image.name());
            m.put("path", image.path().toString());
            m.put("model", weights.toString());
            m.put("size", Integer.toString(size));
            m.put("depth", Integer.toString(depth));
            return m;
        }
    }

    static JsonObject header(String kind, Provenance p, OnPatchGrid r) {
        JsonObject o = new JsonObject();
        o.addProperty("kind", kind);
        o.addProperty("version", Integer.parseInt(AnalysisArrays.VERSION));
        o.addProperty("image", p.image().name());
        o.addProperty("path", p.image().path().toString());
        o.addProperty("weights", p.weights().toString());
        o.addProperty("layer", r.layer());
        o.addProperty("depth", p.depth());
        o.addProperty("size", p.size());
        JsonObject grid = new JsonObject();
        grid.addProperty("rows", r.gridHeight());
        grid.addProperty("cols", r.gridWidth());
        o.add("grid", grid);
        return o;
    }

    /** heads, classToken [head] and attention [head][patch]: per head they sum to one. */
    static JsonObject attention(Provenance p, ClassTokenAttention a) {
        JsonObject o = header("attention", p, a);
        o.addProperty("heads", a.heads());
        o.add("classToken", Json.floats(a.toClassToken()));
        o.add("attention", Json.floats(a.toPatches()));
        return o;
    }

    /** The pooled fit's variances, components [component][patch] (unscaled; 1 is the foreground axis) and foreground [patch]. */
    static JsonObject pca(Provenance p, PcaMaps m) {
        JsonObject o = header("pca", p, m);
        o.addProperty("pooledImages", m.pooledImages());
        o.add("explainedVariance", Json.numbers(m.explainedVariance()));
        o.add("explainedVarianceRatio", Json.numbers(m.explainedVarianceRatio()));
        o.add("components", Json.floats(m.components()));
        o.add("foreground", Json.bits(m.foreground()));
        o.addProperty("foregroundPatches", PatchGrid.count(m.foreground()));
        return o;
    }

    /**
     * The image's pixel size, coarseMasks [head][patch], labels [patch] (0 background, object id) and objects,
     * each with its mask [patch] beside segment.json's box, area and score.
     */
    static JsonObject segment(Provenance p, ImageSegmentation.Result r, double mass, double tau) {
        JsonObject o = header("segment", p, r);
        int h = p.image().original().height(), w = p.image().original().width();
        o.addProperty("width", w);
        o.addProperty("height", h);
        o.addProperty("mass", mass);
        o.addProperty("tau", tau);
        JsonArray coarse = new JsonArray();
        for (boolean[] m : r.headMasks()) {
            coarse.add(Json.bits(m));
        }
        o.add("coarseMasks", coarse);
        o.add("labels", Json.ints(r.labels(r.gridHeight(), r.gridWidth())));
        JsonArray objects = new JsonArray();
        for (int i = 0; i < r.objects().size(); i++) {
            JsonObject ob = object(r, i, h, w);
            ob.addProperty("patches", r.objects().get(i).area());
            ob.addProperty("seed", r.objects().get(i).seed());
            ob.add("mask", Json.bits(r.objects().get(i).patches()));
            objects.add(ob);
        }
        o.add("objects", objects);
        return o;
    }

    /** Object i as segment.json lists it: id (its label), box [x0, y0, x1, y1) and area in pixels of an h × w image, score. */
    static JsonObject object(ImageSegmentation.Result r, int i, int h, int w) {
        boolean[] m = r.objectMask(i, h, w);
        int[] box = PatchGrid.box(m, h, w);
        JsonObject o = new JsonObject();
        o.addProperty("id", i + 1);
        o.add("box", box == null ? JsonNull.INSTANCE : Json.ints(box));
        o.addProperty("area", PatchGrid.count(m));
        o.addProperty("score", r.objects().get(i).score());
        return o;
    }
}

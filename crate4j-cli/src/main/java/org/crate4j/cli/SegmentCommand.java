package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.analysis.AnalysisArrays;
import org.crate4j.analysis.AttentionMaps;
import org.crate4j.analysis.ImageSegmentation;
import org.crate4j.analysis.MeanIoU;
import org.crate4j.analysis.PatchGrid;
import org.crate4j.analysis.SegmentationEvaluation;
import org.crate4j.analysis.TracedEncoder;
import org.crate4j.data.LabelMap;
import org.crate4j.viz.AtomicWrite;
import org.crate4j.viz.Overlays;
import org.crate4j.viz.TileGrid;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "segment", mixinStandardHelpOptions = true,
        description = {"Unsupervised segmentation of each image at one layer: coarse masks (each head's class-token attention, keeping --mass of it) and MaskCut objects (normalised cuts of the key features).",
                "Writes OUT/<image>_mask.png (0 background, object i has value i, at the image's own size), OUT/<image>_segment.png and OUT/segment.json (boxes [x0, y0, x1, y1) and areas in pixels, scores).",
                "--eval DIR scores against DIR/<image>.png (palette or grey PNG, 255 ignored): coarse masks with the best head per class, MaskCut, and a centred box of --box-area; each foreground is labelled with its image's ground-truth class.",
                "--json prints instead, per image, the coarse masks (heads x patches, row-major), the MaskCut label grid and each object's "
                        + "mask, box, area and score; --save-arrays saves coarse_masks, objects, labels, scores and boxes."})
final class SegmentCommand implements Callable<Integer> {
    static final String PICTURES = "out/segment";

    @Mixin
    ModelOptions weights;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "images (JPEG/PNG/BMP/GIF)")
    List<Path> images;

    @Option(names = "--layer", description = "0-based layer for attention and features (default: the penultimate)")
    Integer layer;

    @Option(names = "--size", description = "resize images to SIZE x SIZE, a multiple of the patch (default: the model's input size)")
    Integer size;

    @Option(names = "--objects", defaultValue = "3", description = "MaskCut objects per image (default: ${DEFAULT-VALUE})")
    int objects;

    @Option(names = "--tau", defaultValue = "0.15", description = "MaskCut affinity threshold on cosine similarity (default: ${DEFAULT-VALUE})")
    double tau;

    @Option(names = "--mass", defaultValue = "0.6", description = "fraction of each head's attention the coarse masks keep (default: ${DEFAULT-VALUE})")
    double mass;

    @Option(names = "--eval", paramLabel = "MASKS_DIR", description = "folder of ground-truth label PNGs named like the images")
    Path eval;

    @Option(names = "--box-area", defaultValue = "0.25", description = "area fraction of the centred-box baseline (default: ${DEFAULT-VALUE})")
    double boxArea;

    @Option(names = "--out", description = "folder for the masks, pictures and segment.json (default: " + PICTURES + ")")
    Path out;

    @Mixin
    AnalysisOutput output;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        if (output.json && eval != null) {
            throw new CrateException("--eval writes its scores to segment.json and prints a table, which --json leaves out: "
                    + "run --eval without --json");
        }
        output.check(out, images);
        TracedEncoder encoder = weights.encoder(runtime);
        int l = encoder.checkLayer(layer == null ? AttentionMaps.penultimate(encoder.depth()) : layer);
        int s = InputImage.size(size, encoder.imageHeight(), encoder.patchSize());
        var norm = weights.normalization(encoder.channels());
        Path dir = AnalysisOutput.pictures(out, PICTURES);
        SegmentationEvaluation evaluation = eval == null ? null : new SegmentationEvaluation(boxArea);
        JsonArray perImage = new JsonArray();
        for (Path p : images) {
            InputImage img = InputImage.load(p, s, encoder.channels(), norm);
            ImageSegmentation.Result r = ImageSegmentation.of(encoder, img.input(), l, mass, objects, tau);
            int h = img.original().height(), w = img.original().width();
            AnalysisJson.Provenance from = new AnalysisJson.Provenance(img, weights.weights, s, encoder.depth());
            if (output.json) {
                output.print(AnalysisJson.segment(from, r, mass, tau));
            } else {
                AtomicWrite.png(Overlays.labelMap(r.labels(h, w), h, w), dir.resolve(img.name() + "_mask.png"));
                AtomicWrite.png(figure(img, r, s), dir.resolve(img.name() + "_segment.png"));
                perImage.add(summary(img, r));
                output.say("wrote " + dir.resolve(img.name() + "_mask.png") + ", " + img.name() + "_segment.png (" + r.objects().size() + " objects)");
            }
            output.save(from, "segment", r, AnalysisArrays.of(r, h, w), Map.of("width", Integer.toString(w), "height", Integer.toString(h),
                    "mass", Double.toString(mass), "tau", Double.toString(tau)));
            if (evaluation != null) {
                LabelMap gt = LabelMap.read(groundTruth(img.name()));
                evaluation.add(r, gt.labels(), gt.height(), gt.width());
            }
        }
        if (output.json) {
            return 0;
        }
        JsonObject json = new JsonObject();
        json.addProperty("weights", weights.weights.toString());
        json.addProperty("layer", l);
        json.addProperty("size", s);
        json.addProperty("tau", tau);
        json.addProperty("mass", mass);
        json.add("images", perImage);
        if (evaluation != null) {
            json.add("evaluation", report(evaluation.report()));
        }
        AtomicWrite.text(Json.GSON.toJson(json) + "\n", dir.resolve("segment.json"));
        System.out.println("wrote " + dir.resolve("segment.json"));
        return 0;
    }

    /** One image's entry in segment.json: its size, objects (box, area, score) and coarse-mask sizes. */
    private static JsonObject summary(InputImage img, ImageSegmentation.Result r) {
        int h = img.original().height(), w = img.original().width();
        JsonArray found = new JsonArray();
        for (int i = 0; i < r.objects().size(); i++) {
            found.add(AnalysisJson.object(r, i, h, w));
        }
        JsonObject o = new JsonObject();
        o.addProperty("image", img.path().toString());
        o.addProperty("width", w);
        o.addProperty("height", h);
        o.add("objects", found);
        JsonArray coarse = new JsonArray();
        for (boolean[] m : r.headMasks()) {
            coarse.add(PatchGrid.count(m));
        }
        o.add("coarsePatchesPerHead", coarse);
        return o;
    }

    private Path groundTruth(String name) {
        Path gt = eval.resolve(name + ".png");
        if (!Files.isRegularFile(gt)) {
            throw new CrateException("no ground truth " + gt + " for image '" + name + "': --eval needs <name>.png for every image");
        }
        return gt;
    }

    private static java.awt.image.BufferedImage figure(InputImage img, ImageSegmentation.Result r, int s) {
        List<int[]> boxes = new ArrayList<>();
        for (int i = 0; i < r.objects().size(); i++) {
            boxes.add(PatchGrid.box(r.objectMask(i, s, s), s, s));
        }
        int[] labels = r.labels(s, s);
        List<TileGrid.Tile> tiles = new ArrayList<>();
        tiles.add(new TileGrid.Tile("image", Overlays.image(img.display())));
        tiles.add(new TileGrid.Tile("MaskCut: " + r.objects().size() + " object(s)", Overlays.boxes(Overlays.labels(img.display(), labels), boxes)));
        for (int j = 0; j < r.headMasks().length; j++) {
            boolean[] m = PatchGrid.resize(r.headMasks()[j], r.gridHeight(), r.gridWidth(), s, s);
            tiles.add(new TileGrid.Tile("head " + j + " coarse mask", Overlays.mask(img.display(), m, 0x00C853)));
        }
        return TileGrid.render(img.name() + ": MaskCut and coarse masks, layer " + r.layer(), tiles, 4, null);
    }

    private static JsonObject report(SegmentationEvaluation.Report r) {
        System.out.printf("mIoU over %d images, %d classes (background included):%n", r.images(), r.classes());
        System.out.printf("  coarse attention masks (best head per class) %.4f  heads %s%n", r.coarse().meanIoU(),
                java.util.Arrays.toString(r.coarse().bestHead()));
        System.out.printf("  MaskCut, first object                        %.4f%n", r.firstObject().mean());
        System.out.printf("  MaskCut, all objects                         %.4f%n", r.allObjects().mean());
        System.out.printf("  centred box baseline (area %.2f)              %.4f%n", r.boxArea(), r.centredBox().mean());
        JsonObject e = new JsonObject();
        e.addProperty("images", r.images());
        e.addProperty("classes", r.classes());
        JsonObject c = new JsonObject();
        c.add("mIoU", Json.number(r.coarse().meanIoU()));
        c.add("perClassIoU", Json.numbers(r.coarse().perClassIoU()));
        c.add("bestHeadPerClass", Json.ints(r.coarse().bestHead()));
        c.add("mIoUPerHead", Json.numbers(r.coarse().perHead()));
        e.add("coarse", c);
        e.add("maskcutFirstObject", scores(r.firstObject()));
        e.add("maskcutAllObjects", scores(r.allObjects()));
        JsonObject b = scores(r.centredBox());
        b.addProperty("area", r.boxArea());
        e.add("centredBox", b);
        return e;
    }

    private static JsonObject scores(MeanIoU m) {
        JsonObject o = new JsonObject();
        o.add("mIoU", Json.number(m.mean()));
        o.add("perClassIoU", Json.numbers(m.perClass()));
        return o;
    }
}

package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.crate4j.cli.Main;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.CrateWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The analysis commands end to end on a tiny synthetic dataset, with a tiny random classifier and a
 * tiny random CRATE-MAE (grey, 28 px, patch 4, as mae-pretrain would save it): both have 3 layers
 * and a patch that divides 48 but not 30, so every assertion holds for either.
 */
class AnalysisCommandsTest {
    @TempDir
    static Path dir;
    static Path data;
    static Map<String, Path> models = new java.util.HashMap<>();
    static List<String> images;

    @BeforeAll
    static void tinyModelAndData() throws IOException {
        data = dir.resolve("synthetic");
        assertEquals(0, Main.run("make-synthetic", "--out", data.toString(), "--train", "4", "--val", "5", "--size", "32", "--seed", "1"));
        try (Stream<Path> s = Files.walk(data.resolve("val"))) {
            images = s.filter(p -> p.toString().endsWith(".png")).map(Path::toString).sorted().toList();
        }
        assertEquals(5, images.size());
        Torch.seed(3);
        Crate model = Crate.create(CrateConfig.of(32, 8, 3, 3, 32, 3, 2));
        models.put("classifier", dir.resolve("tiny.safetensors"));
        CrateWeights.save(model, models.get("classifier"), Map.of("mean", "[0.5, 0.5, 0.5]", "std", "[0.25, 0.25, 0.25]"));
        CrateMae mae = CrateMae.create(new MaeConfig(28, 4, 1, 32, 3, 2, 32, 1, 2, 0.1, 0.5, 0.75, true));
        models.put("mae", dir.resolve("tiny-mae.safetensors"));
        MaeWeights.save(mae, models.get("mae"), Map.of("mean", "[0.3]", "std", "[0.35]"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"classifier", "mae"})
    void layerwiseWritesJsonWithEveryLayerAndAPlot(String kind) throws IOException {
        Path weights = models.get(kind), out = dir.resolve(kind + "-layerwise");
        assertEquals(0, Main.run("layerwise", "--weights", weights.toString(), "--data", data.toString(), "--images", "5",
                "--batch", "2", "--out", out.toString()));
        JsonObject json = json(out.resolve("layerwise.json"));
        assertEquals(5, json.get("images").getAsInt());
        assertEquals(3, json.getAsJsonArray("layers").size());
        for (var layer : json.getAsJsonArray("layers")) {
            JsonObject l = layer.getAsJsonObject();
            double rate = l.getAsJsonObject("codingRate").get("mean").getAsDouble();
            double nonZero = l.getAsJsonObject("nonZeroFraction").get("mean").getAsDouble();
            assertTrue(rate > 0 && Double.isFinite(rate), "coding rate " + rate);
            assertTrue(nonZero >= 0 && nonZero <= 1, "non-zero fraction " + nonZero);
            assertEquals(5, l.getAsJsonObject("codingRate").get("count").getAsInt());
        }
        // the incoherence figures are the weights' own (2 heads per layer in both tiny models)
        List<Incoherence.Layer> expected = kind.equals("mae") ? Incoherence.of(MaeWeights.load(weights, MaeWeights.Options.defaults()))
                : Incoherence.of(CrateWeights.load(weights, CrateWeights.Options.defaults()));
        for (int i = 0; i < 3; i++) {
            JsonObject l = json.getAsJsonArray("layers").get(i).getAsJsonObject();
            assertEquals(expected.get(i).subspaces(), l.get("subspaceCoherence").getAsDouble(), 1e-12);
            assertEquals(expected.get(i).dictionary(), l.get("dictionaryCoherence").getAsDouble(), 1e-12);
            assertEquals(2, l.getAsJsonArray("coherentHeads").size());
            assertTrue(l.get("subspaceCoherence").getAsDouble() > 0 && l.get("subspaceCoherence").getAsDouble() <= 1);
        }
        assertTrue(png(out.resolve("layerwise.png")).getWidth() > 500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"classifier", "mae"})
    void attentionWritesOneFigurePerImageAtAnySizeThatFitsThePatch(String kind) throws IOException {
        Path weights = models.get(kind), out = dir.resolve(kind + "-attention");
        assertEquals(0, Main.run("attention", "--weights", weights.toString(), images.get(0), images.get(1), "--out", out.toString()));
        assertEquals(0, Main.run("attention", "--weights", weights.toString(), images.get(2), "--size", "48", "--layer", "2", "--out", out.toString()));
        for (int i = 0; i < 3; i++) {
            assertTrue(png(out.resolve(base(images.get(i)) + "_attention.png")).getWidth() > 100);
        }
        assertEquals(2, Main.run("attention", "--weights", weights.toString(), images.get(0), "--size", "30", "--out", out.toString()),
                "a size that is not a multiple of the patch is a user error");
        assertEquals(2, Main.run("attention", "--weights", weights.toString(), images.get(0), "--layer", "3", "--out", out.toString()),
                "a layer past the last one is a user error");
    }

    @ParameterizedTest
    @ValueSource(strings = {"classifier", "mae"})
    void pcaWritesFiguresAndExplainedVariance(String kind) throws IOException {
        Path weights = models.get(kind), out = dir.resolve(kind + "-pca");
        assertEquals(0, Main.run("pca", "--weights", weights.toString(), images.get(0), images.get(1), images.get(2), "--out", out.toString()));
        JsonObject json = json(out.resolve("pca.json"));
        assertEquals(2, json.get("layer").getAsInt(), "default layer is the last");
        assertEquals(4, json.getAsJsonArray("explainedVarianceRatio").size());
        assertEquals(3, json.getAsJsonArray("images").size());
        assertNotNull(png(out.resolve(base(images.get(1)) + "_pca.png")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"classifier", "mae"})
    void segmentWritesMasksBoxesAndScoresAgainstGroundTruth(String kind) throws IOException {
        Path weights = models.get(kind), out = dir.resolve(kind + "-segment");
        String[] args = Stream.concat(Stream.of("segment", "--weights", weights.toString(), "--objects", "2",
                "--eval", data.resolve("masks").toString(), "--out", out.toString()), images.stream()).toArray(String[]::new);
        assertEquals(0, Main.run(args));
        JsonObject json = json(out.resolve("segment.json"));
        assertEquals(5, json.getAsJsonArray("images").size());
        for (var e : json.getAsJsonArray("images")) {
            for (var o : e.getAsJsonObject().getAsJsonArray("objects")) {
                var box = o.getAsJsonObject().getAsJsonArray("box");
                assertEquals(4, box.size());
                assertTrue(box.get(2).getAsInt() > box.get(0).getAsInt() && box.get(3).getAsInt() > box.get(1).getAsInt());
                assertTrue(o.getAsJsonObject().get("area").getAsInt() > 0);
            }
        }
        for (var e : json.getAsJsonArray("images")) {
            assertEquals(2, e.getAsJsonObject().getAsJsonArray("coarsePatchesPerHead").size(), "one coarse mask per head");
        }
        JsonObject eval = json.getAsJsonObject("evaluation");
        for (String method : new String[] {"coarse", "maskcutFirstObject", "centredBox"}) {
            double miou = eval.getAsJsonObject(method).get("mIoU").getAsDouble();
            assertTrue(miou >= 0 && miou <= 1, method + " mIoU " + miou);
        }
        BufferedImage mask = png(out.resolve(base(images.get(0)) + "_mask.png"));
        assertEquals(32, mask.getWidth(), "masks come back at the image's own size");
        assertNotNull(png(out.resolve(base(images.get(0)) + "_segment.png")));
    }

    @Test
    void referenceMaeCheckpointRunsThroughEveryAnalysisCommand() throws IOException {
        // the MAE training layout {model, optimizer, epoch, scaler, args}: 16 px RGB, patch 4, 2 layers of 4 heads
        String pth = ClassifierParityTest.fixture("mae_plain.pth").toString();
        Path out = dir.resolve("reference-mae");
        assertEquals(2, Main.run("attention", "--weights", pth, images.get(0), "--out", out.toString()),
                "heads cannot be read off the shapes: a user error asking for --heads");
        assertEquals(0, Main.run("layerwise", "--weights", pth, "--heads", "4", "--data", data.toString(), "--images", "3",
                "--out", out.resolve("layerwise").toString()));
        JsonObject layerwise = json(out.resolve("layerwise/layerwise.json"));
        assertEquals(2, layerwise.getAsJsonArray("layers").size());
        for (var layer : layerwise.getAsJsonArray("layers")) {
            double rate = layer.getAsJsonObject().getAsJsonObject("codingRate").get("mean").getAsDouble();
            assertTrue(rate > 0 && Double.isFinite(rate), "coding rate " + rate);
        }
        assertEquals(0, Main.run("attention", "--weights", pth, "--heads", "4", images.get(0), "--out", out.toString()));
        assertTrue(png(out.resolve(base(images.get(0)) + "_attention.png")).getWidth() > 100);
        assertEquals(0, Main.run("pca", "--weights", pth, "--heads", "4", images.get(0), images.get(1), "--out", out.toString()));
        assertEquals(1, json(out.resolve("pca.json")).get("layer").getAsInt(), "default layer is the last");
        assertEquals(0, Main.run("segment", "--weights", pth, "--heads", "4", images.get(0), "--out", out.toString()));
        JsonObject segment = json(out.resolve("segment.json")).getAsJsonArray("images").get(0).getAsJsonObject();
        assertEquals(4, segment.getAsJsonArray("coarsePatchesPerHead").size(), "one coarse mask per head");
        for (var patches : segment.getAsJsonArray("coarsePatchesPerHead")) {
            assertTrue(patches.getAsInt() > 0 && patches.getAsInt() <= 16, "coarse mask of " + patches + " of 16 patches");
        }
    }

    private static JsonObject json(Path p) throws IOException {
        return JsonParser.parseString(Files.readString(p)).getAsJsonObject();
    }

    private static BufferedImage png(Path p) throws IOException {
        assertTrue(Files.isRegularFile(p), p + " exists");
        BufferedImage img = ImageIO.read(p.toFile());
        assertNotNull(img, p + " decodes as an image");
        return img;
    }

    private static String base(String path) {
        String n = Path.of(path).getFileName().toString();
        return n.substring(0, n.lastIndexOf('.'));
    }
}

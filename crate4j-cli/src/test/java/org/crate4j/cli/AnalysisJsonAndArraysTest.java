package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.crate4j.analysis.CoarseSegmentation;
import org.crate4j.analysis.ModelInput;
import org.crate4j.analysis.PatchGrid;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.data.LabelMap;
import org.crate4j.engine.Torch;
import org.crate4j.model.ClassifierParityTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * attention, pca and segment as data: --json (one document per image on stdout, nothing else) and
 * --save-arrays (one safetensors file per image), checked against PyTorch, against the picture
 * path's own outputs and against each other.
 */
class AnalysisJsonAndArraysTest {
    static final String WEIGHTS = ClassifierParityTest.fixture("crate_main_module.pth").toString();
    static final Path IMAGE = ClassifierParityTest.fixture("analysis_image.png");

    @TempDir
    Path tmp;

    /** Runs a command with the fixture weights (4 heads, 16×16 input, 2 layers). */
    private static CliTest.Run crate(String command, Object... args) {
        List<String> all = new ArrayList<>(List.of(command, "--weights", WEIGHTS, "--heads", "4"));
        for (Object a : args) {
            all.add(a.toString());
        }
        return CliTest.run(all.toArray(String[]::new));
    }

    /** stdout as JSON lines: every line one document, and nothing else. */
    private static List<JsonObject> documents(CliTest.Run r) {
        assertEquals(0, r.code(), r.err());
        List<JsonObject> out = new ArrayList<>();
        for (String line : r.out().split("\n", -1)) {
            if (!line.isEmpty()) {
                out.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        assertTrue(r.out().endsWith("\n"), r.out());
        return out;
    }

    /** A picture with a bright off-centre block on a noisy background, h × w. */
    private Path picture(String name, int h, int w, long seed) throws Exception {
        java.util.Random r = new java.util.Random(seed);
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean block = y > h / 4 && y < h / 2 + 3 && x > w / 3 && x < w - 4;
                int v = r.nextInt(50) + (block ? 180 : 20);
                bi.setRGB(x, y, v << 16 | (block ? 120 : v) << 8 | (255 - v));
            }
        }
        Path p = tmp.resolve(name + ".png");
        ImageIO.write(bi, "png", p.toFile());
        return p;
    }

    private static float[] floats(JsonElement a) {
        JsonArray arr = a.getAsJsonArray();
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).getAsFloat();
        }
        return out;
    }

    private static float[] flat(JsonElement rows) {
        List<Float> all = new ArrayList<>();
        for (JsonElement r : rows.getAsJsonArray()) {
            for (float f : floats(r)) {
                all.add(f);
            }
        }
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = all.get(i);
        }
        return out;
    }

    private static boolean[] mask(JsonElement bits) {
        float[] f = floats(bits);
        boolean[] out = new boolean[f.length];
        for (int i = 0; i < f.length; i++) {
            assertTrue(f[i] == 0 || f[i] == 1, "a mask holds 0 and 1 only");
            out[i] = f[i] == 1;
        }
        return out;
    }

    private static void assertGrid(JsonObject doc, int rows, int cols) {
        assertEquals(rows, doc.getAsJsonObject("grid").get("rows").getAsInt());
        assertEquals(cols, doc.getAsJsonObject("grid").get("cols").getAsInt());
    }

    /** The command's input is the fixture's input, and its JSON is PyTorch's class-token row of A at every layer. */
    @Test
    void attentionJsonIsPyTorchsClassTokenAttentionOfTheImage() {
        Safetensors.Contents expected = Safetensors.read(ClassifierParityTest.fixture("analysis_image.expected.safetensors"));
        InputImage img = InputImage.load(IMAGE, 16, 3, ModelInput.normalization(3, Map.of()));
        assertArrayEquals(expected.tensors().get("input").toFloats(), Torch.toFloats(img.input()), 1e-6f, "the same preprocessing");
        for (int layer = 0; layer < 2; layer++) {
            List<JsonObject> docs = documents(crate("attention", "--json", "--layer", layer, IMAGE));
            assertEquals(1, docs.size());
            JsonObject d = docs.get(0);
            assertEquals("attention", d.get("kind").getAsString());
            assertEquals(1, d.get("version").getAsInt());
            assertEquals("analysis_image", d.get("image").getAsString());
            assertEquals(IMAGE.toString(), d.get("path").getAsString());
            assertEquals(WEIGHTS, d.get("weights").getAsString());
            assertEquals(layer, d.get("layer").getAsInt());
            assertEquals(2, d.get("depth").getAsInt());
            assertEquals(16, d.get("size").getAsInt());
            assertGrid(d, 4, 4);
            assertEquals(4, d.get("heads").getAsInt());
            JsonArray heads = d.getAsJsonArray("attention");
            assertEquals(4, heads.size());
            float[] a = expected.tensors().get("layer" + layer + ".attention").toFloats(); // (1, 4, 17, 17)
            float[] toClass = floats(d.get("classToken"));
            for (int j = 0; j < 4; j++) {
                float[] row = floats(heads.get(j));
                assertEquals(16, row.length);
                int at = j * 17 * 17;
                assertEquals(a[at], toClass[j], 1e-4, "layer " + layer + " head " + j + " to the class token");
                double sum = toClass[j];
                for (int q = 0; q < 16; q++) {
                    assertEquals(a[at + 1 + q], row[q], 1e-4, "layer " + layer + " head " + j + " patch " + q);
                    sum += row[q];
                }
                assertEquals(1.0, sum, 1e-5, "a softmax row");
            }
        }
        assertEquals(0, documents(crate("attention", "--json", IMAGE)).get(0).get("layer").getAsInt(), "default: the penultimate of 2");
    }

    /**
     * The emergence demo's layout ({'model': …}, two-stage head, 3 heads of width 12 on width 24):
     * the command prints PyTorch's class-token attention of its own image at every layer.
     */
    @Test
    void attentionJsonOnTheDemoLayoutIsPyTorchs() {
        Path image = ClassifierParityTest.fixture("analysis_demo.png");
        String demo = ClassifierParityTest.fixture("crate_demo.pth").toString();
        Safetensors.Contents expected = Safetensors.read(ClassifierParityTest.fixture("analysis_demo.expected.safetensors"));
        for (int layer = 0; layer < 2; layer++) {
            JsonObject d = documents(CliTest.run("attention", "--weights", demo, "--heads", "3", "--json", "--layer",
                    String.valueOf(layer), image.toString())).get(0);
            assertGrid(d, 3, 3);
            JsonArray heads = d.getAsJsonArray("attention");
            assertEquals(3, heads.size());
            float[] a = expected.tensors().get("layer" + layer + ".attention").toFloats(); // (1, 3, 10, 10)
            for (int j = 0; j < 3; j++) {
                float[] row = floats(heads.get(j));
                assertEquals(9, row.length);
                assertEquals(a[j * 100], floats(d.get("classToken"))[j], 1e-4);
                for (int q = 0; q < 9; q++) {
                    assertEquals(a[j * 100 + 1 + q], row[q], 1e-4, "layer " + layer + " head " + j + " patch " + q);
                }
            }
        }
    }

    /** Several images of other sizes at --size 32 (an 8×8 grid): one line each, and arrays files holding the same numbers. */
    @Test
    void attentionPrintsOneLinePerImageAndSavesTheSameArrays() throws Exception {
        Path a = picture("wide", 30, 40, 1), b = picture("square", 24, 24, 2), arrays = tmp.resolve("arrays");
        CliTest.Run r = crate("attention", "--json", "--size", 32, "--save-arrays", arrays, a, b);
        List<JsonObject> docs = documents(r);
        assertEquals(2, docs.size(), r.out());
        assertTrue(r.err().contains("wrote " + arrays.resolve("wide_attention.safetensors")), r.err());
        for (JsonObject d : docs) {
            assertGrid(d, 8, 8);
            Safetensors.Contents c = Safetensors.read(arrays.resolve(d.get("image").getAsString() + "_attention.safetensors"));
            RawTensor att = c.tensors().get("attention");
            assertEquals(DType.F32, att.dtype());
            assertArrayEquals(new long[] {4, 8, 8}, att.shape());
            assertArrayEquals(flat(d.get("attention")), att.toFloats(), 0f, "JSON floats read back as the saved float32");
            assertArrayEquals(floats(d.get("classToken")), c.tensors().get("class_token").toFloats(), 0f);
            Map<String, String> m = c.metadata();
            assertEquals("attention", m.get("kind"));
            assertEquals("0", m.get("layer"));
            assertEquals("[8, 8]", m.get("grid"));
            assertEquals(d.get("image").getAsString(), m.get("image"));
            assertEquals(d.get("path").getAsString(), m.get("path"));
            assertEquals(WEIGHTS, m.get("model"));
            assertEquals("32", m.get("size"));
        }
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of("arrays", "square.png", "wide.png"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "--json writes no pictures");
        }
        CliTest.Run pictures = crate("attention", "--size", 32, "--out", tmp.resolve("pics"), "--save-arrays", arrays, a);
        assertEquals(0, pictures.code(), pictures.err());
        assertTrue(pictures.out().contains("wrote " + tmp.resolve("pics").resolve("wide_attention.png")), pictures.out());
        assertTrue(Files.isRegularFile(tmp.resolve("pics").resolve("wide_attention.png")));
        assertArrayEquals(flat(docs.get(0).get("attention")),
                Safetensors.read(arrays.resolve("wide_attention.safetensors")).tensors().get("attention").toFloats(), 0f,
                "the picture run saves the same arrays");
    }

    /** The JSON's foreground is its first component scaled above ½, and it agrees with pca.json and the arrays. */
    @Test
    void pcaJsonAgreesWithPcaJsonOfThePictureRunAndWithItsArrays() throws Exception {
        List<Path> images = List.of(picture("one", 30, 40, 3), picture("two", 32, 32, 4), IMAGE);
        Path arrays = tmp.resolve("arrays");
        List<Object> args = new ArrayList<>(List.of("--json", "--size", 32, "--save-arrays", arrays));
        args.addAll(images);
        List<JsonObject> docs = documents(crate("pca", args.toArray()));
        List<Object> pictureArgs = new ArrayList<>(List.of("--size", 32, "--out", tmp.resolve("pics")));
        pictureArgs.addAll(images);
        assertEquals(0, crate("pca", pictureArgs.toArray()).code());
        JsonObject summary = JsonParser.parseString(Files.readString(tmp.resolve("pics").resolve("pca.json"))).getAsJsonObject();
        assertEquals(3, docs.size());
        for (int b = 0; b < 3; b++) {
            JsonObject d = docs.get(b);
            assertEquals("pca", d.get("kind").getAsString());
            assertEquals(1, d.get("layer").getAsInt(), "default: the last layer");
            assertGrid(d, 8, 8);
            assertEquals(3, d.get("pooledImages").getAsInt());
            assertEquals(summary.get("explainedVarianceRatio"), d.get("explainedVarianceRatio"));
            assertEquals(summary.get("explainedVariance"), d.get("explainedVariance"));
            JsonArray comps = d.getAsJsonArray("components");
            assertEquals(4, comps.size());
            float[] pc1 = floats(comps.get(0));
            assertEquals(64, pc1.length);
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (float f : pc1) {
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
            }
            boolean[] fg = mask(d.get("foreground"));
            for (int i = 0; i < 64; i++) {
                assertEquals((pc1[i] - lo) / (hi - lo) > 0.5f, fg[i], "patch " + i + ": PC1 scaled over the image, above 1/2");
            }
            JsonObject fromPictures = summary.getAsJsonArray("images").get(b).getAsJsonObject();
            assertEquals(images.get(b).toString(), fromPictures.get("image").getAsString());
            assertEquals(fromPictures.get("foregroundPatches").getAsInt(), PatchGrid.count(fg));
            assertEquals(PatchGrid.count(fg), d.get("foregroundPatches").getAsInt());
            Safetensors.Contents c = Safetensors.read(arrays.resolve(d.get("image").getAsString() + "_pca.safetensors"));
            assertArrayEquals(new long[] {4, 8, 8}, c.tensors().get("components").shape());
            assertArrayEquals(flat(comps), c.tensors().get("components").toFloats(), 0f);
            assertEquals(DType.BOOL, c.tensors().get("foreground").dtype());
            assertArrayEquals(floats(d.get("foreground")), c.tensors().get("foreground").toFloats(), 0f);
            assertEquals("3", c.metadata().get("pooled_images"));
        }
    }

    /**
     * The JSON's label grid, blown up to the image, is the picture run's _mask.png; its objects are segment.json's;
     * its coarse masks keep --mass of the attention that attention --json prints; the arrays hold the same.
     */
    @Test
    void segmentJsonAgreesWithTheMaskPngsSegmentJsonTheAttentionAndItsArrays() throws Exception {
        List<Path> images = List.of(picture("one", 30, 40, 5), picture("two", 48, 40, 6));
        Path arrays = tmp.resolve("arrays");
        List<JsonObject> docs = documents(crate("segment", "--json", "--size", 32, "--save-arrays", arrays, images.get(0), images.get(1)));
        assertEquals(0, crate("segment", "--size", 32, "--out", tmp.resolve("pics"), images.get(0), images.get(1)).code());
        List<JsonObject> attention = documents(crate("attention", "--json", "--size", 32, images.get(0), images.get(1)));
        JsonObject summary = JsonParser.parseString(Files.readString(tmp.resolve("pics").resolve("segment.json"))).getAsJsonObject();
        assertEquals(2, docs.size());
        for (int b = 0; b < 2; b++) {
            JsonObject d = docs.get(b);
            String name = d.get("image").getAsString();
            int h = d.get("height").getAsInt(), w = d.get("width").getAsInt();
            assertEquals("segment", d.get("kind").getAsString());
            assertEquals(0, d.get("layer").getAsInt());
            assertGrid(d, 8, 8);
            JsonObject fromPictures = summary.getAsJsonArray("images").get(b).getAsJsonObject();
            assertEquals(fromPictures.get("width").getAsInt(), w);
            assertEquals(fromPictures.get("height").getAsInt(), h);
            // labels on the grid → the mask PNG at the image's size
            float[] labels = floats(d.get("labels"));
            assertEquals(64, labels.length);
            LabelMap png = LabelMap.read(tmp.resolve("pics").resolve(name + "_mask.png"));
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    assertEquals(png.labels()[y * w + x], (int) labels[(y * 8 / h) * 8 + x * 8 / w], name + " pixel " + y + "," + x);
                }
            }
            // objects: segment.json's box, area and score, plus a grid mask that is the label grid's
            JsonArray objects = d.getAsJsonArray("objects");
            JsonArray listed = fromPictures.getAsJsonArray("objects");
            assertEquals(listed.size(), objects.size());
            assertTrue(objects.size() > 0, "the block is found");
            for (int i = 0; i < objects.size(); i++) {
                JsonObject o = objects.get(i).getAsJsonObject(), l = listed.get(i).getAsJsonObject();
                for (String key : new String[] {"id", "box", "area", "score"}) {
                    assertEquals(l.get(key), o.get(key), name + " object " + i + " " + key);
                }
                boolean[] m = mask(o.get("mask"));
                for (int q = 0; q < 64; q++) {
                    assertEquals(labels[q] == i + 1, m[q], name + " object " + i + " patch " + q);
                }
                assertEquals(PatchGrid.count(m), o.get("patches").getAsInt());
                assertTrue(m[o.get("seed").getAsInt()], "the seed is in its object");
            }
            // coarse masks: the fewest patches holding 60% of each head's attention, as attention --json prints it
            JsonArray coarse = d.getAsJsonArray("coarseMasks");
            assertEquals(4, coarse.size());
            for (int j = 0; j < 4; j++) {
                float[] att = floats(attention.get(b).getAsJsonArray("attention").get(j));
                assertArrayEquals(CoarseSegmentation.keepMass(att, 0.6), mask(coarse.get(j)), name + " head " + j);
                assertEquals(fromPictures.getAsJsonArray("coarsePatchesPerHead").get(j).getAsInt(), PatchGrid.count(mask(coarse.get(j))));
            }
            Safetensors.Contents c = Safetensors.read(arrays.resolve(name + "_segment.safetensors"));
            assertArrayEquals(new long[] {4, 8, 8}, c.tensors().get("coarse_masks").shape());
            float[] coarseFlat = flat(coarse);
            assertArrayEquals(coarseFlat, c.tensors().get("coarse_masks").toFloats(), 0f);
            assertEquals(DType.I32, c.tensors().get("labels").dtype());
            assertArrayEquals(labels, c.tensors().get("labels").toFloats(), 0f);
            assertArrayEquals(new long[] {objects.size(), 8, 8}, c.tensors().get("objects").shape());
            float[] boxes = c.tensors().get("boxes").toFloats(), scores = c.tensors().get("scores").toFloats();
            for (int i = 0; i < objects.size(); i++) {
                JsonObject o = objects.get(i).getAsJsonObject();
                assertArrayEquals(floats(o.get("box")), java.util.Arrays.copyOfRange(boxes, i * 4, i * 4 + 4), 0f);
                assertEquals((float) o.get("score").getAsDouble(), scores[i]);
            }
            assertEquals(Integer.toString(w), c.metadata().get("width"));
            assertEquals("0.6", c.metadata().get("mass"));
        }
    }

    @Test
    void optionsThatMakeNoSenseGiveOneLineAndExitTwoBeforeAnyOutput() throws Exception {
        Path file = Files.writeString(tmp.resolve("plain.txt"), "not a folder");
        Path a = Files.createDirectories(tmp.resolve("a")), b = Files.createDirectories(tmp.resolve("b"));
        Files.copy(IMAGE, a.resolve("cat.png"));
        Files.copy(IMAGE, b.resolve("cat.png"));
        Path arrays = tmp.resolve("arrays");
        Object[][] cases = {
                {"attention", "--json", "--out", tmp.resolve("o"), IMAGE},
                {"pca", "--json", "--out", tmp.resolve("o"), IMAGE},
                {"segment", "--json", "--eval", tmp, IMAGE},
                {"attention", "--save-arrays", file, IMAGE},
                {"segment", "--json", "--save-arrays", file.resolve("sub"), IMAGE},
                {"pca", "--save-arrays", arrays, a.resolve("cat.png"), b.resolve("cat.png")},
                {"attention", "--json", "--layer", 2, IMAGE},
                {"attention", "--json", "--size", 10, IMAGE}};
        String[] says = {"--json prints the results on stdout instead of writing pictures: drop --out",
                "--json prints the results on stdout instead of writing pictures: drop --out",
                "--eval writes its scores to segment.json and prints a table, which --json leaves out",
                "is a file, not a folder", "cannot create the folder", "share the name 'cat'",
                "layer 2 does not exist: the model has 2 layers", "--size 10 is not a positive multiple of the patch size 4"};
        for (int i = 0; i < cases.length; i++) {
            Object[] c = cases[i];
            CliTest.Run r = crate(c[0].toString(), java.util.Arrays.copyOfRange(c, 1, c.length));
            String what = java.util.Arrays.toString(c) + " -> " + r.err();
            assertEquals(2, r.code(), what);
            assertEquals(1, r.err().strip().lines().count(), what);
            assertTrue(r.err().startsWith("crate: ") && r.err().contains(says[i]), what);
            assertFalse(r.err().contains("\tat "), what);
            assertEquals("", r.out(), what);
        }
        assertFalse(Files.exists(tmp.resolve("o")), "no picture folder");
        try (Stream<Path> left = Files.list(arrays)) {
            assertEquals(0, left.count(), "no arrays for clashing names");
        }
    }
}

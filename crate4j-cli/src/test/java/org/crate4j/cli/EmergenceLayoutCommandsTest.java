package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Presets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The segmentation notebooks' checkpoint layouts through every command: the small demo-layout
 * fixture (state dict under 'model', two-stage head 24 → 20 → 7, 3 heads of width 12) and a
 * zero-valued file with the real crate-demo.pth shapes for the preset and bad-input cases.
 */
class EmergenceLayoutCommandsTest {
    @TempDir
    Path tmp;

    static final String DEMO = ClassifierParityTest.fixture("crate_demo.pth").toString();

    @Test
    void infoSaysWhatEachFileIsWithoutBuildingAModel() throws Exception {
        String demo = CliTest.run("info", "--weights", DEMO, "--heads", "3").out();
        assertTrue(demo.contains("CRATE classifier"), demo);
        assertTrue(demo.contains("layout: emergence notebooks' demo checkpoint (as crate-demo.pth: two-stage head, mlp_head then head); "
                + "state dict under 'model'"), demo);
        assertTrue(demo.contains("torch.save zip archive, 30 tensors, 10,871 values, dtype F32 x30"), demo);
        assertTrue(demo.contains("dim 24, depth 2, heads 3 x 12"), demo);
        assertTrue(demo.contains("head: mlp_head LayerNorm + Linear(24 -> 20), then head Linear(20 -> 7)"), demo);
        assertTrue(demo.lines().anyMatch(l -> l.strip().startsWith("parameters (total)") && l.strip().endsWith(" 10,871")), demo);
        assertTrue(demo.contains("ignored: nothing") && demo.contains("keys: exactly the 30 the model expects"), demo);
        String open = CliTest.run("info", "--weights", DEMO).out();
        assertTrue(open.contains("heads unknown (the shapes fix only heads x width = 36"), open);
        assertTrue(open.contains("10,871"), "the count needs no heads: " + open);

        String main = CliTest.run("info", "--weights", ClassifierParityTest.fixture("crate_main_module.pth").toString()).out();
        assertTrue(main.contains("layout: reference main.py training checkpoint") && main.contains("keys prefixed module."), main);
        assertTrue(main.contains("ignored: top-level epoch, arch, best_acc1, optimizer, scheduler (not weights)"), main);
        assertTrue(CliTest.run("info", "--weights", ClassifierParityTest.fixture("crate_mean_nonsquare.pth").toString()).out()
                .contains("layout: reference finetune.py checkpoint"));
        assertTrue(CliTest.run("info", "--weights", ClassifierParityTest.fixture("crate_transposed_views.pth").toString()).out()
                .contains("layout: bare state dict"));
        assertTrue(CliTest.run("info", "--weights", ClassifierParityTest.fixture("crate_fp16.pth").toString()).out()
                .contains("dtype F16 x28"));
        assertTrue(CliTest.run("info", "--weights", ClassifierParityTest.fixture("crate_features.pth").toString()).out()
                .contains("layout: emergence notebooks' checkpoint (as CRATE_small_21k, CRATE_base_21k, CRATE_base_768); state dict under 'model'"));
        String mae = CliTest.run("info", "--weights", ClassifierParityTest.fixture("mae_plain.pth").toString(), "--heads", "4").out();
        assertTrue(mae.contains("CRATE-MAE") && mae.contains("layout: CRATE-MAE pretraining checkpoint") && mae.contains("encoder dim 32"), mae);

        Path st = tmp.resolve("demo.safetensors");
        assertEquals(0, CliTest.run("convert", DEMO, st.toString(), "--heads", "3").code());
        String ours = CliTest.run("info", "--weights", st.toString()).out();
        assertTrue(ours.contains("layout: crate4j classifier safetensors") && ours.contains("heads 3 x 12")
                && ours.contains("then head Linear(20 -> 7)"), ours);

        // a file a loader would refuse is still described: one key missing, one too many
        Map<String, RawTensor> t = new LinkedHashMap<>(Safetensors.read(st).tensors());
        t.remove("head.bias");
        t.put("extra.weight", RawTensor.ofFloats(new float[] {1, 2}, 2));
        Path broken = tmp.resolve("broken.safetensors");
        Safetensors.write(broken, t, Map.of());
        CliTest.Run b = CliTest.run("info", "--weights", broken.toString(), "--heads", "3");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.out().contains("safetensors without crate4j metadata"), b.out());
        assertTrue(b.out().contains("keys: 1 missing [head.bias]; 1 unexpected [extra.weight] (a loader refuses the file as it is)"), b.out());
    }

    @Test
    void everyCommandRunsOnTheDemoLayout() throws Exception {
        List<String> images = syntheticImages();
        Path labels = tmp.resolve("labels.txt");
        Files.write(labels, List.of("zero", "one", "two", "three", "four", "five", "six"));
        CliTest.Run p = CliTest.run("predict", "--weights", DEMO, "--heads", "3", "--labels", labels.toString(), "--json", "--top", "7",
                images.get(0));
        assertEquals(0, p.code(), p.err());
        JsonObject guess = JsonParser.parseString(p.out().strip()).getAsJsonObject();
        assertEquals(7, guess.getAsJsonArray("top").size(), "seven classes out of the second head stage");
        double total = 0;
        for (var g : guess.getAsJsonArray("top")) {
            total += g.getAsJsonObject().get("probability").getAsDouble();
        }
        assertEquals(1.0, total, 1e-5);

        Path st = tmp.resolve("demo.safetensors");
        assertEquals(0, CliTest.run("convert", DEMO, st.toString(), "--heads", "3").code());
        assertEquals(p.out(), CliTest.run("predict", "--weights", st.toString(), "--labels", labels.toString(), "--json", "--top", "7",
                images.get(0)).out(), "the converted file keeps both head stages");

        Path sevenClasses = imageFolder(tmp.resolve("seven"), 7, 24);
        CliTest.Run ev = CliTest.run("eval", "--weights", DEMO, "--heads", "3", "--data", sevenClasses.toString(), "--out",
                tmp.resolve("ev").toString());
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("(14 images") && ev.out().contains("top-1"), ev.out());

        Path out = tmp.resolve("analysis");
        for (String[] args : new String[][] {
                {"attention", "--weights", DEMO, "--heads", "3", images.get(0), "--out", out.resolve("attention").toString()},
                {"pca", "--weights", DEMO, "--heads", "3", images.get(0), images.get(1), "--out", out.resolve("pca").toString()},
                {"segment", "--weights", DEMO, "--heads", "3", "--objects", "1", images.get(0), "--out", out.resolve("segment").toString()},
                {"layerwise", "--weights", DEMO, "--heads", "3", "--data", tmp.resolve("synthetic").toString(), "--images", "3",
                        "--out", out.resolve("layerwise").toString()}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(0, r.code(), String.join(" ", args) + " -> " + r.err());
            try (Stream<Path> files = Files.list(out.resolve(args[0]))) {
                assertTrue(files.anyMatch(f -> f.toString().endsWith(".png")), args[0] + " wrote its figure");
            }
        }
        assertTrue(Files.exists(out.resolve("attention").resolve(baseName(images.get(0)) + "_attention.png")));

        CliTest.Run contradicted = CliTest.run("predict", "--weights", st.toString(), "--heads", "4", images.get(0));
        assertEquals(2, contradicted.code());
        assertEquals("crate: " + st + " was saved with 3 heads of width 12, which --heads 4 contradicts: drop --heads",
                contradicted.err().strip());
        Path headless = tmp.resolve("headless.safetensors");
        assertEquals(0, CliTest.run("convert", DEMO, headless.toString(), "--heads", "3", "--no-head").code());
        assertTrue(CliTest.run("info", "--weights", headless.toString()).out().contains("head: mlp_head LayerNorm + Linear(24 -> 7)"),
                "--no-head drops both stages and writes a fresh one-stage head for the same classes");

        Path twoClasses = CliTest.tinyImageFolder(tmp.resolve("two"));
        Path ft = tmp.resolve("ft");
        CliTest.Run f = CliTest.run("finetune", "--weights", DEMO, "--heads", "3", "--data", twoClasses.toString(), "--epochs", "1",
                "--batch", "4", "--workers", "1", "--out", ft.toString());
        assertEquals(0, f.code(), f.err());
        assertTrue(f.out().contains("2 classes, new head"), f.out());
        String tuned = CliTest.run("info", "--weights", ft.resolve("last.safetensors").toString()).out();
        assertTrue(tuned.contains("head: mlp_head LayerNorm + Linear(24 -> 2)") && tuned.contains("heads 3 x 12"),
                "the whole two-stage head is replaced by a fresh one-stage head: " + tuned);
        assertFalse(Safetensors.read(ft.resolve("last.safetensors")).tensors().containsKey("head.weight"));
        assertEquals(0, CliTest.run("eval", "--weights", ft.resolve("last.safetensors").toString(), "--data", twoClasses.toString(),
                "--out", tmp.resolve("ev2").toString()).code());
    }

    @Test
    void theRealDemoLayoutNamesItsPresetAndRefusesContradictions() throws Exception {
        Path demo = tmp.resolve("crate-demo-shapes.safetensors");
        Map<String, RawTensor> zeros = new LinkedHashMap<>();
        Presets.get("crate-base-demo").parameterShapes().forEach((k, s) -> zeros.put(k, zeroF16(s)));
        Safetensors.write(demo, zeros, Map.of());
        String info = CliTest.run("info", "--weights", demo.toString()).out();
        assertTrue(info.contains("shapes of preset crate-base-demo"), info);
        assertTrue(info.contains("dim 768, depth 12, heads 6 x 128") && info.contains("39,422,162"), info);
        assertTrue(info.contains("then head Linear(768 -> 21842)") && info.contains("dtype F16 x"), info);

        Path out = tmp.resolve("o.safetensors");
        for (String[] args : new String[][] {
                {"convert", demo.toString(), out.toString(), "--heads", "12"},
                {"convert", demo.toString(), out.toString(), "--model", "crate-base-demo", "--heads", "12"},
                {"info", "--weights", demo.toString(), "--heads", "12"}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertTrue(r.err().contains("--heads 12 contradicts") && r.err().contains("crate-base-demo, which has 6 heads of width 128"),
                    r.err());
            assertFalse(Files.exists(out), "nothing written");
        }

        Path img = Path.of(syntheticImages().get(0));
        Path labels = tmp.resolve("imagenet21k.txt");
        Files.write(labels, Collections.nCopies(21841, "a class"));
        CliTest.Run r = CliTest.run("predict", "--weights", demo.toString(), "--labels", labels.toString(), img.toString());
        assertEquals(2, r.code(), r.err());
        assertEquals("crate: labels file " + labels + " has 21841 names but the model has 21842 classes", r.err().strip());
        assertEquals("", r.out(), "nothing predicted");
    }

    private static RawTensor zeroF16(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return new RawTensor(DType.F16, shape, new byte[Math.toIntExact(2 * n)]);
    }

    private List<String> syntheticImages() throws Exception {
        Path data = tmp.resolve("synthetic");
        if (!Files.exists(data)) {
            assertEquals(0, Main.run("make-synthetic", "--out", data.toString(), "--train", "3", "--val", "3", "--size", "24", "--seed", "2"));
        }
        try (Stream<Path> s = Files.walk(data.resolve("val"))) {
            return s.filter(f -> f.toString().endsWith(".png")).map(Path::toString).sorted().toList();
        }
    }

    /** An ImageFolder with {@code classes} classes of two images each in train and val. */
    private static Path imageFolder(Path root, int classes, int size) throws Exception {
        java.util.Random r = new java.util.Random(7);
        for (String split : new String[] {"train", "val"}) {
            for (int c = 0; c < classes; c++) {
                Path dir = Files.createDirectories(root.resolve(split).resolve("class" + c));
                for (int i = 0; i < 2; i++) {
                    BufferedImage bi = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < size; y++) {
                        for (int x = 0; x < size; x++) {
                            bi.setRGB(x, y, r.nextInt(1 << 24));
                        }
                    }
                    ImageIO.write(bi, "png", dir.resolve(c + "_" + i + ".png").toFile());
                }
            }
        }
        return root;
    }

    private static String baseName(String path) {
        String n = Path.of(path).getFileName().toString();
        return n.substring(0, n.lastIndexOf('.'));
    }
}

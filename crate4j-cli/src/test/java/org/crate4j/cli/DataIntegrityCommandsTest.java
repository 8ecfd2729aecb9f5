package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.crate4j.model.ClassifierParityTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command that reads a data set with corrupt and truncated files in it: training replaces
 * them, evaluation leaves them out, both name and count them; a class with nothing readable and
 * {@code --strict-data} stop with one line.
 */
class DataIntegrityCommandsTest {
    @TempDir
    static Path tmp;
    static Path data, clean, checkpoint;
    static CliTest.Run trained;

    static final String NOT_AN_IMAGE = "is not a readable JPEG/PNG/BMP/GIF image";
    static final String CUT = "is truncated (a JPEG without its end-of-image marker)";

    /**
     * 16×16 noise images, dark or light: train has 6 of each class, val 5; with {@code corrupt} each
     * split also has dark/dark_bad.png (text, not an image) and light/light_cut.jpg (a JPEG cut short),
     * which sort after the good files of their class.
     */
    static Path folder(Path root, boolean corrupt, boolean lightValReadable) throws IOException {
        Random r = new Random(7), forTheCut = new Random(8); // the good images are the same with or without the bad ones
        for (String split : new String[] {"train", "val"}) {
            for (String cls : new String[] {"dark", "light"}) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(cls));
                int n = split.equals("train") ? 6 : cls.equals("light") && !lightValReadable ? 0 : 5;
                for (int i = 0; i < n; i++) {
                    ImageIO.write(noise(cls.equals("dark") ? 30 : 150, r), "png", dir.resolve(cls + i + ".png").toFile());
                }
                if (corrupt && cls.equals("dark")) {
                    Files.write(dir.resolve("dark_bad.png"), "garbage, not a PNG at all".repeat(8).getBytes(StandardCharsets.US_ASCII));
                }
                if (corrupt && cls.equals("light")) {
                    Path cut = dir.resolve("light_cut.jpg");
                    ImageIO.write(noise(150, forTheCut), "jpg", cut.toFile());
                    byte[] whole = Files.readAllBytes(cut);
                    Files.write(cut, Arrays.copyOf(whole, whole.length - 3));
                }
            }
        }
        return root;
    }

    private static BufferedImage noise(int base, Random r) {
        BufferedImage bi = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int v = base + r.nextInt(70);
                bi.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        return bi;
    }

    /** The error line of a run (a progress bar may precede it on its line of stderr). */
    static String errorLine(CliTest.Run r) {
        List<String> lines = r.err().lines().filter(l -> l.contains("crate: ")).toList();
        assertEquals(1, lines.size(), r.err());
        return lines.get(0).substring(lines.get(0).indexOf("crate: "));
    }

    static String bad(String split, String file) {
        return data.resolve(split).resolve(file.startsWith("dark") ? "dark" : "light").resolve(file).toString();
    }

    static final String[] TRAIN = {"train", "--model", "crate-fmnist", "--image-size", "16", "--patch", "4", "--epochs", "1",
            "--batch", "7", "--workers", "0"};

    static String[] with(String[] base, String... more) {
        String[] out = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    @BeforeAll
    static void trainOnce() throws IOException {
        data = folder(tmp.resolve("data"), true, true);
        clean = folder(tmp.resolve("clean"), false, true);
        checkpoint = tmp.resolve("run").resolve("last.safetensors");
        trained = CliTest.run(with(TRAIN, "--data", data.toString(), "--out", tmp.resolve("run").toString()));
    }

    @Test
    void trainingNamesAndCountsTheFilesItReplacedAndTheOnesEvaluationLeftOut() throws IOException {
        assertEquals(0, trained.code(), trained.err());
        String epoch = trained.out().lines().filter(l -> l.startsWith("epoch 1.00:")).findFirst().orElseThrow();
        assertTrue(epoch.endsWith(" | unreadable files: 2 in train, replaced (" + bad("train", "dark_bad.png") + ", "
                + bad("train", "light_cut.jpg") + "); 2 in val, left out (" + bad("val", "dark_bad.png") + ", " + bad("val", "light_cut.jpg")
                + ")"), epoch);
        assertTrue(trained.out().contains("\n2 unreadable files in train, replaced by other samples: image " + bad("train", "dark_bad.png")
                + " " + NOT_AN_IMAGE + "; image " + bad("train", "light_cut.jpg") + " " + CUT + "\n"), trained.out());
        assertTrue(trained.out().contains("\n2 unreadable files in val, left out of the evaluation: image " + bad("val", "dark_bad.png")
                + " " + NOT_AN_IMAGE + "; image " + bad("val", "light_cut.jpg") + " " + CUT + "\n"), trained.out());
        JsonObject last = JsonParser.parseString(Files.readString(tmp.resolve("run/run.json"))).getAsJsonObject().getAsJsonObject("final");
        assertEquals(2, last.getAsJsonObject("unreadable_train").get("count").getAsInt());
        assertEquals("image " + bad("val", "light_cut.jpg") + " " + CUT,
                last.getAsJsonObject("unreadable_val").getAsJsonArray("first").get(1).getAsString());
    }

    @Test
    void dataParallelTrainingCountsTheJobsBadFilesNotRankZerosAlone() {
        // 14 training files over 2 ranks of 7, 12 val files over 2 ranks of 6: each rank meets only its share, and
        // rank 0, which prints, holds no bad val file (val positions 5 and 11, both rank 1's)
        CliTest.Run r = CliTest.run(with(TRAIN, "--nproc", "2", "--data", data.toString(), "--out", tmp.resolve("par").toString()));
        assertEquals(0, r.code(), r.err());
        String epoch = r.out().lines().filter(l -> l.startsWith("epoch 1.00:")).findFirst().orElseThrow();
        assertTrue(epoch.contains(" | unreadable files: 2 in train, replaced (" + bad("train", "dark_bad.png") + ", "
                + bad("train", "light_cut.jpg") + "); 2 in val, left out ("), epoch);
        assertTrue(r.out().contains("\n2 unreadable files in val, left out of the evaluation: "), r.out());
    }

    @Test
    void evalScoresTheReadableImagesExactlyAsIfTheBadOnesWereNotThere() throws IOException {
        CliTest.Run withBad = CliTest.run("eval", "--weights", checkpoint.toString(), "--data", data.toString(), "--out", tmp.resolve("ev").toString());
        CliTest.Run without = CliTest.run("eval", "--weights", checkpoint.toString(), "--data", clean.toString(), "--out", tmp.resolve("ev0").toString());
        assertEquals(0, withBad.code(), withBad.err());
        assertEquals(0, without.code(), without.err());
        assertTrue(withBad.out().contains("/val (10 images; 2 unreadable files left out: " + bad("val", "dark_bad.png") + ", "
                + bad("val", "light_cut.jpg") + "; device"), withBad.out());
        assertTrue(withBad.out().contains("\n2 unreadable files not evaluated: image " + bad("val", "dark_bad.png") + " " + NOT_AN_IMAGE), withBad.out());
        JsonObject a = JsonParser.parseString(Files.readString(tmp.resolve("ev/eval.json"))).getAsJsonObject();
        JsonObject b = JsonParser.parseString(Files.readString(tmp.resolve("ev0/eval.json"))).getAsJsonObject();
        assertEquals(10, a.get("images").getAsLong());
        assertEquals(2, a.get("unreadable").getAsLong());
        assertEquals(0, b.get("unreadable").getAsLong());
        assertEquals(b.get("top1").getAsDouble(), a.get("top1").getAsDouble(), 0.0);
        assertEquals(b.get("top5").getAsDouble(), a.get("top5").getAsDouble(), 0.0);
        assertEquals(b.get("loss").getAsDouble(), a.get("loss").getAsDouble(), 1e-6);
        assertEquals(b.get("confusion"), a.get("confusion"));
        JsonArray m = a.getAsJsonArray("confusion");
        long[][] c = new long[2][2];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                c[i][j] = m.get(i).getAsJsonArray().get(j).getAsLong();
            }
        }
        assertArrayEquals(new long[] {5, 5}, new long[] {c[0][0] + c[0][1], c[1][0] + c[1][1]}, "each row counts its 5 readable images");
        assertEquals((c[0][0] + c[1][1]) / 10.0, a.get("top1").getAsDouble(), 1e-12);
    }

    @Test
    void aClassWithNoReadableImageFailsEvaluationAndTraining() throws IOException {
        Path lost = folder(tmp.resolve("lost"), true, false); // val/light holds only light_cut.jpg
        String line = "crate: no image of class 'light' can be read (1 bad file, e.g. image " + lost.resolve("val/light/light_cut.jpg") + " "
                + CUT + "): an accuracy without the class would mislead; fix or replace its files";
        CliTest.Run ev = CliTest.run("eval", "--weights", checkpoint.toString(), "--data", lost.toString(), "--out", tmp.resolve("evl").toString());
        assertEquals(2, ev.code(), ev.err());
        assertEquals(line, ev.err().strip());
        assertFalse(Files.exists(tmp.resolve("evl/eval.json")));
        CliTest.Run tr = CliTest.run(with(TRAIN, "--data", lost.toString(), "--out", tmp.resolve("runl").toString()));
        assertEquals(2, tr.code(), tr.err());
        assertEquals(line, errorLine(tr));
    }

    @Test
    void strictDataStopsEveryCommandAtTheFirstBadFile() throws IOException {
        Path mae = MaeCommandsTest.tinyMae(tmp.resolve("mae16.safetensors"), 16, 3);
        String weights = ClassifierParityTest.fixture("crate_main_module.pth").toString();
        String d = data.toString();
        List<String> trainBad = List.of(bad("train", "dark_bad.png"), bad("train", "light_cut.jpg"));
        List<String> valBad = List.of(bad("val", "dark_bad.png"), bad("val", "light_cut.jpg"));
        Object[][] cases = {
                {with(TRAIN, "--data", d, "--out", tmp.resolve("s1").toString(), "--strict-data"), trainBad},
                {new String[] {"finetune", "--weights", weights, "--heads", "4", "--data", d, "--epochs", "1", "--batch", "7",
                        "--out", tmp.resolve("s2").toString(), "--strict-data"}, trainBad},
                {new String[] {"mae-pretrain", "--data", d, "--dim", "16", "--depth", "1", "--decoder-depth", "1", "--heads", "2",
                        "--patch", "4", "--image-size", "16", "--epochs", "1", "--batch", "7", "--out", tmp.resolve("s3").toString(),
                        "--strict-data"}, trainBad},
                {new String[] {"eval", "--weights", checkpoint.toString(), "--data", d, "--out", tmp.resolve("s4").toString(), "--strict-data"},
                        List.of(bad("val", "dark_bad.png"))}, // in order, the first
                {new String[] {"layerwise", "--weights", checkpoint.toString(), "--data", d, "--out", tmp.resolve("s5").toString(),
                        "--strict-data"}, valBad},
                {new String[] {"linear-probe", "--weights", mae.toString(), "--data", d, "--epochs", "1", "--strict-data"},
                        List.of(bad("train", "dark_bad.png"))}};
        for (Object[] c : cases) {
            String[] args = (String[]) c[0];
            @SuppressWarnings("unchecked")
            List<String> culprits = (List<String>) c[1];
            CliTest.Run r = CliTest.run(args);
            String cmd = String.join(" ", args);
            assertEquals(2, r.code(), cmd + " -> " + r.err());
            String line = errorLine(r);
            assertTrue(line.endsWith("(--strict-data stops at the first bad file)"), line);
            assertTrue(culprits.stream().anyMatch(f -> line.startsWith("crate: image " + f + " ")), cmd + " -> " + line);
            assertFalse(r.err().contains("\tat "), r.err());
        }
    }

    @Test
    void layerwiseLinearProbeAndPretrainingReportWhatTheyCouldNotRead() throws IOException {
        CliTest.Run lw = CliTest.run("layerwise", "--weights", checkpoint.toString(), "--data", data.toString(), "--out", tmp.resolve("lw").toString());
        assertEquals(0, lw.code(), lw.err());
        assertTrue(lw.out().contains("(10 images; 2 unreadable files left out: " + bad("val", "dark_bad.png") + ", " + bad("val", "light_cut.jpg")
                + ")"), lw.out());
        assertEquals(2, JsonParser.parseString(Files.readString(tmp.resolve("lw/layerwise.json"))).getAsJsonObject().get("unreadable").getAsInt());

        Path mae = MaeCommandsTest.tinyMae(tmp.resolve("mae16b.safetensors"), 16, 3);
        CliTest.Run lp = CliTest.run("linear-probe", "--weights", mae.toString(), "--data", data.toString(), "--epochs", "2");
        assertEquals(0, lp.code(), lp.err());
        assertTrue(lp.out().contains("on 10 held-out images") && lp.out().contains("on 12 images, 2 epochs; 2 unreadable files left out of "
                + "the training split: " + bad("train", "dark_bad.png") + ", " + bad("train", "light_cut.jpg")), lp.out());
        JsonObject j = JsonParser.parseString(lp.out().strip().lines().reduce((x, y) -> y).orElseThrow()).getAsJsonObject();
        assertEquals(2, j.get("train_unreadable").getAsInt());
        assertEquals(2, j.get("test_unreadable").getAsInt());
        assertEquals(10, j.get("test_images").getAsInt());

        CliTest.Run pre = CliTest.run("mae-pretrain", "--data", data.toString(), "--dim", "16", "--depth", "1", "--decoder-depth", "1",
                "--heads", "2", "--patch", "4", "--image-size", "16", "--epochs", "1", "--batch", "7", "--workers", "0",
                "--out", tmp.resolve("pre").toString());
        assertEquals(0, pre.code(), pre.err());
        String epoch = pre.out().lines().filter(l -> l.startsWith("epoch 1.00:")).findFirst().orElseThrow();
        assertTrue(epoch.contains("held-out loss") && epoch.contains("(10 images, fixed masks)"), epoch);
        assertTrue(epoch.endsWith(" | unreadable files: 2 in train, replaced (" + bad("train", "dark_bad.png") + ", "
                + bad("train", "light_cut.jpg") + "); 2 in held-out, left out (" + bad("val", "dark_bad.png") + ", "
                + bad("val", "light_cut.jpg") + ")"), epoch);
        assertTrue(pre.out().contains("\n2 unreadable files in held-out, left out of the evaluation: image "), pre.out());
    }
}

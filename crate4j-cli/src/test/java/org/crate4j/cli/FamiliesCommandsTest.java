package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.crate4j.model.ClassifierParityTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CRATE-α, ViT and ToST through the commands: info, predict, attention, train, eval and convert. */
class FamiliesCommandsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"crate-alpha-b16, '72,328,936'", "crate-alpha-b32, '73,985,512'", "crate-alpha-l14, '253,650,920'",
            "vit-tiny, '5,717,416'", "vit-small, '22,050,664'", "vit-base, '86,567,656'",
            "tost-cab-tiny-12-p16, '5,769,328'", "tost-cab-small-12-p16, '22,589,944'", "tost-cab-tiny-24-p16, '10,223,008'",
            "tost-cab-small-24-p16, '40,344,664'", "tost-cab-medium-24-p16, '71,481,064'", "tost-cab-large-24-p16, '160,286,920'"})
    void infoPrintsEveryFamilysParameterCount(String preset, String count) {
        CliTest.Run r = CliTest.run("info", "--model", preset);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith("parameters (total)") && l.strip().endsWith(" " + count)), r.out());
    }

    @Test
    void infoRecognisesEveryNewLayout() {
        String alpha = CliTest.run("info", "--weights", fixture("alpha_plain.pth"), "--heads", "3").out();
        assertTrue(alpha.contains(": CRATE-α classifier") && alpha.contains("layout: CRATE-α state dict"), alpha);
        assertTrue(alpha.contains("heads 3 x 8") && alpha.contains("keys: exactly the"), alpha);
        String vit = CliTest.run("info", "--weights", fixture("vit_plain.pth"), "--heads", "3").out();
        assertTrue(vit.contains(": ViT classifier") && vit.contains("layout: timm ViT state dict") && vit.contains("keys: exactly the"), vit);
        String tost = CliTest.run("info", "--weights", fixture("tost_p16_full.pth")).out();
        assertTrue(tost.contains(": ToST classifier") && tost.contains("ToST training-script checkpoint"), tost);
        assertTrue(tost.contains("BatchNorm running statistics") && tost.contains("keys: exactly the"), tost);
        CliTest.Run unknown = CliTest.run("info", "--model", "vit-huge");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("crate-alpha-b16") && unknown.err().contains("tost-fmnist"), unknown.err());
    }

    @ParameterizedTest
    @CsvSource({"alpha_plain.pth, 3, false", "vit_plain.pth, 3, false", "tost_p16_ragged.pth, 0, true"})
    void predictAndAttentionRunOnEachFamilysParityFixture(String file, int heads, boolean tost) throws Exception {
        String img = image();
        String[] h = heads > 0 ? new String[] {"--heads", String.valueOf(heads)} : new String[0];
        CliTest.Run p = CliTest.run(args(new String[] {"predict", "--weights", fixture(file), "--json", "--top", "2", img}, h));
        assertEquals(0, p.code(), p.err());
        JsonArray top = JsonParser.parseString(p.out().strip()).getAsJsonObject().getAsJsonArray("top");
        assertEquals(2, top.size());
        double p0 = top.get(0).getAsJsonObject().get("probability").getAsDouble(), p1 = top.get(1).getAsJsonObject().get("probability").getAsDouble();
        assertTrue(p0 >= p1 && p0 > 0 && p0 + p1 <= 1 + 1e-6, p.out());

        CliTest.Run a = CliTest.run(args(new String[] {"attention", "--weights", fixture(file), "--layer", "0", "--json", img}, h));
        assertEquals(0, a.code(), a.err());
        JsonObject o = JsonParser.parseString(a.out().strip()).getAsJsonObject();
        JsonArray maps = o.getAsJsonArray("attention");
        for (int j = 0; j < maps.size(); j++) {
            double sum = o.getAsJsonArray("classToken").get(j).getAsDouble();
            for (var v : maps.get(j).getAsJsonArray()) {
                sum += v.getAsDouble();
            }
            assertEquals(1.0, sum, 1e-4, "head " + j + " sums to one");
            if (tost) {
                assertEquals(0.0, o.getAsJsonArray("classToken").get(j).getAsDouble(), 0.0);
            }
        }
        assertEquals(tost, o.has("shows"), a.out());
        Path pictures = tmp.resolve("pictures-" + file);
        assertEquals(0, CliTest.run(args(new String[] {"attention", "--weights", fixture(file), "--out", pictures.toString(), img}, h)).code());
        try (Stream<Path> s = Files.list(pictures)) {
            assertTrue(ImageIO.read(s.findFirst().orElseThrow().toFile()).getWidth() > 100);
        }
    }

    @ParameterizedTest
    @CsvSource({"alpha_plain.pth, 3", "vit_plain.pth, 3", "tost_p16_ragged.pth, 0"})
    void pcaSegmentAndLayerwiseRunOnEveryFamily(String file, int heads) throws Exception {
        String img = image();
        String[] h = heads > 0 ? new String[] {"--heads", String.valueOf(heads)} : new String[0];
        String out = tmp.resolve("out").toString();
        String size = file.startsWith("tost") ? "64" : "16";
        for (String[] args : new String[][] {
                {"pca", "--weights", fixture(file), "--size", size, "--json", img},
                {"segment", "--weights", fixture(file), "--size", size, "--json", img},
                {"layerwise", "--weights", fixture(file), "--data", tmp.resolve("synthetic").toString(), "--images", "3", "--out", out}}) {
            CliTest.Run r = CliTest.run(args(args, h));
            assertEquals(0, r.code(), String.join(" ", args) + " -> " + r.err());
            assertFalse(r.out().contains("null"), r.out());
        }
        JsonObject layers = JsonParser.parseString(Files.readString(tmp.resolve("out").resolve("layerwise.json"))).getAsJsonObject();
        assertTrue(layers.getAsJsonArray("layers").size() >= 1, layers.toString());
        // the weights' incoherence where the family has CRATE's subspaces and dictionary (CRATE-α's ODL D is d × 4d:
        // DᵀD has rank ≤ d, so ‖DᵀD − I‖/‖I‖ ≥ √(1 − 1/4)); ViT and ToST have neither
        JsonObject first = layers.getAsJsonArray("layers").get(0).getAsJsonObject();
        boolean alpha = file.startsWith("alpha");
        assertEquals(alpha, first.has("dictionaryCoherence"), first.toString());
        if (alpha) {
            assertTrue(first.get("dictionaryCoherence").getAsDouble() >= Math.sqrt(0.75) - 1e-9, first.toString());
            double c = first.get("subspaceCoherence").getAsDouble();
            assertTrue(c > 0 && c <= 1, first.toString());
        }
    }

    @ParameterizedTest
    @CsvSource({"crate-alpha-fmnist, CRATE-α", "vit-fmnist, ViT", "tost-fmnist, ToST"})
    void trainEvalPredictAndConvertEachNewFamily(String preset, String family) throws Exception {
        Path data = CliTest.tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("run-" + preset);
        CliTest.Run t = CliTest.run("train", "--data", data.toString(), "--model", preset, "--epochs", "1", "--batch", "4", "--workers", "1",
                "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        Path last = out.resolve("last.safetensors");
        String info = CliTest.run("info", "--weights", last.toString()).out();
        assertTrue(info.contains(family + " classifier") && info.contains("crate4j") && info.contains("keys: exactly the"), info);
        CliTest.Run ev = CliTest.run("eval", "--weights", last.toString(), "--data", data.toString(), "--out", tmp.resolve("ev").toString());
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("top-1"), ev.out());
        CliTest.Run resumed = CliTest.run("train", "--data", data.toString(), "--model", preset, "--epochs", "2", "--batch", "4",
                "--workers", "1", "--out", out.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        CliTest.Run ft = CliTest.run("finetune", "--weights", last.toString(), "--data", data.toString(), "--epochs", "1", "--batch", "4",
                "--workers", "1", "--out", tmp.resolve("ft-" + preset).toString());
        assertEquals(0, ft.code(), ft.err());
        assertTrue(ft.out().contains(family + ", dim") && ft.out().contains("new head"), ft.out());
        CliTest.Run overrides = CliTest.run("train", "--data", data.toString(), "--model", preset, "--dim", "64", "--epochs", "1",
                "--out", tmp.resolve("no").toString());
        assertEquals(2, overrides.code());
        assertTrue(overrides.err().contains("shape CRATE presets only"), overrides.err());
    }

    @Test
    void crateTrainsWithTssaAsItsCompressionStep() throws Exception {
        Path data = CliTest.tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("tssa");
        CliTest.Run t = CliTest.run("train", "--data", data.toString(), "--model", "crate-fmnist", "--attention", "tssa", "--image-size", "20",
                "--patch", "4", "--epochs", "1", "--batch", "4", "--workers", "1", "--out", out.toString());
        assertEquals(0, t.code(), t.err());
        String info = CliTest.run("info", "--weights", out.resolve("last.safetensors").toString()).out();
        assertTrue(info.contains("compression step: TSSA") && info.contains("TSSA (all layers)") && info.contains("keys: exactly the"), info);
        CliTest.Run resumed = CliTest.run("train", "--data", data.toString(), "--model", "crate-fmnist", "--attention", "tssa",
                "--image-size", "20", "--patch", "4", "--epochs", "2", "--batch", "4", "--workers", "1", "--out", out.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        CliTest.Run mssa = CliTest.run("train", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20",
                "--patch", "4", "--epochs", "3", "--batch", "4", "--workers", "1", "--out", out.toString(), "--resume");
        assertEquals(2, mssa.code());
        assertTrue(mssa.err().contains("different architecture"), mssa.err());
        CliTest.Run a = CliTest.run("attention", "--weights", out.resolve("last.safetensors").toString(), "--json", "--size", "20", image());
        assertEquals(0, a.code(), a.err());
        JsonObject o = JsonParser.parseString(a.out().strip()).getAsJsonObject();
        double sum = o.getAsJsonArray("classToken").get(0).getAsDouble();
        for (var v : o.getAsJsonArray("attention").get(0).getAsJsonArray()) {
            sum += v.getAsDouble();
        }
        assertEquals(1.0, sum, 1e-4, "TSSA's token weights over the class token and the patches sum to one");
        for (String cmd : new String[] {"pca", "segment"}) {
            CliTest.Run r = CliTest.run(cmd, "--weights", out.resolve("last.safetensors").toString(), "--json", "--size", "20", image());
            assertEquals(0, r.code(), cmd + " -> " + r.err());
        }
        CliTest.Run wrong = CliTest.run("train", "--data", data.toString(), "--model", "vit-fmnist", "--attention", "tssa", "--epochs", "1",
                "--out", tmp.resolve("no").toString());
        assertEquals(2, wrong.code());
        assertTrue(wrong.err().contains("--attention chooses CRATE's compression step"), wrong.err());
    }

    @Test
    void convertWritesTheFamilysOwnSafetensors() {
        Path st = tmp.resolve("alpha.safetensors");
        CliTest.Run c = CliTest.run("convert", fixture("alpha_plain.pth"), st.toString(), "--heads", "3");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("CRATE-α") && c.out().contains("dim 24, depth 2, patch 4, classes 5"), c.out());
        String info = CliTest.run("info", "--weights", st.toString()).out();
        assertTrue(info.contains("crate4j CRATE-α safetensors") && info.contains("heads 3 x 8"), info);
        Path tost = tmp.resolve("tost.safetensors");
        assertEquals(0, CliTest.run("convert", fixture("tost_p16_full.pth"), tost.toString()).code());
        assertTrue(CliTest.run("info", "--weights", tost.toString()).out().contains("crate4j ToST safetensors"));
        CliTest.Run pool = CliTest.run("convert", fixture("vit_plain.pth"), tmp.resolve("v.safetensors").toString(), "--heads", "3", "--pool", "mean");
        assertEquals(2, pool.code());
        assertTrue(pool.err().contains("--pool applies to CRATE checkpoints"), pool.err());
    }

    private static String[] args(String[] a, String[] b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    private static String fixture(String name) {
        return ClassifierParityTest.fixture(name).toString();
    }

    private String image() throws Exception {
        Path data = tmp.resolve("synthetic");
        if (!Files.exists(data)) {
            assertEquals(0, Main.run("make-synthetic", "--out", data.toString(), "--train", "3", "--val", "3", "--size", "24", "--seed", "2"));
        }
        try (Stream<Path> s = Files.walk(data.resolve("val"))) {
            return s.filter(f -> f.toString().endsWith(".png")).map(Path::toString).sorted().findFirst().orElseThrow();
        }
    }
}

package org.crate4j.cli;

import static org.crate4j.cli.ServeFixture.encode;
import static org.crate4j.cli.ServeFixture.get;
import static org.crate4j.cli.ServeFixture.upload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.crate4j.analysis.CodingRate;
import org.crate4j.analysis.Sparsity;
import org.crate4j.api.Classification;
import org.crate4j.api.CrateModel;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.LayerTrace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * crate serve's API without a browser: it answers with the analysis commands' own documents,
 * refuses every path outside what it was given, and answers bad uploads with a message and goes on.
 */
class ServeTest {
    @TempDir
    static Path tmp;
    static ServeFixture fixture;
    static ExplorerServer server;

    @BeforeAll
    static void start() throws Exception {
        fixture = new ServeFixture(tmp);
        server = ServeFixture.serve("--runs", fixture.runs.toString(), "--port", "0", "--max-upload-mb", "1");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String id(ServeFixture.Answer upload) {
        assertEquals(200, upload.status(), String.valueOf(upload.error()));
        return upload.json().get("id").getAsString();
    }

    private static String weights() {
        return encode(fixture.weights.toString());
    }

    @Test
    void refusesEveryPathOutsideTheFoldersItWasGiven() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path secret = Files.copy(fixture.weights, outside.resolve("secret.safetensors"));
        Files.writeString(outside.resolve("metrics.jsonl"), "{\"epoch\":1.0}\n");
        Files.createSymbolicLink(fixture.runs.resolve("link.safetensors"), secret);
        Files.createSymbolicLink(fixture.runs.resolve("linked-run"), outside);
        List<String> refused = List.of(secret.toString(),
                fixture.runs + "/../outside/secret.safetensors",
                fixture.run + "/../../outside/secret.safetensors",
                fixture.runs.resolve("link.safetensors").toString(),
                fixture.runs + "/linked-run/secret.safetensors",
                "/etc/passwd", "../../../../etc/passwd",
                fixture.run.resolve("metrics.jsonl").toString(),   // inside, but not a checkpoint
                fixture.runs.resolve("missing.safetensors").toString());
        for (String p : refused) {
            ServeFixture.Answer a = get(server, "/api/model?weights=" + encode(p));
            assertEquals(403, a.status(), p + ": " + a.json());
            assertTrue(a.error().contains("is not one this server was given"), a.error());
        }
        for (String p : List.of(outside.toString(), fixture.runs + "/linked-run", fixture.run + "/../../outside", "/tmp")) {
            ServeFixture.Answer a = get(server, "/api/curves?run=" + encode(p));
            assertEquals(403, a.status(), p + ": " + a.json());
        }
        assertEquals(200, get(server, "/api/model?weights=" + weights()).status());
        assertEquals(200, get(server, "/api/model?weights=" + encode(fixture.runs + "/exp/../exp/model.safetensors")).status(),
                "a .. that stays inside is the same file");
        JsonObject files = get(server, "/api/files").json();
        assertEquals(1, files.getAsJsonArray("checkpoints").size(), files.toString());
        assertEquals(fixture.weights.toRealPath().toString(), files.getAsJsonArray("checkpoints").get(0).getAsJsonObject().get("path").getAsString());
        assertFalse(files.toString().contains("outside") || files.toString().contains("link"), "links to outside are not listed: " + files);
        assertEquals(404, get(server, "/etc/passwd").status());
        assertEquals(404, get(server, "/../../etc/passwd").status());
        Files.delete(fixture.runs.resolve("link.safetensors"));
        Files.delete(fixture.runs.resolve("linked-run"));
    }

    @Test
    void answersOnlyToLoopbackNames() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /api/files HTTP/1.1\r\nHost: attacker.example:8765\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
            assertTrue(answer.contains("answers on 127.0.0.1 and localhost only"), answer);
        }
    }

    @Test
    void badUploadsGetAMessageAndTheServerGoesOn() throws Exception {
        ServeFixture.Answer cut = upload(server, "cut.png", ServeFixture.truncated(fixture.picture));
        assertEquals(400, cut.status());
        assertTrue(cut.error().startsWith("image cut.png is truncated"), cut.error());
        ServeFixture.Answer text = upload(server, "notes.jpg", "not a picture".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, text.status());
        assertTrue(text.error().startsWith("image notes.jpg "), text.error());
        assertEquals(400, upload(server, "empty.png", new byte[0]).status());
        ServeFixture.Answer big = upload(server, "big.png", new byte[(1 << 20) + 1]);
        assertEquals(413, big.status());
        assertEquals("the image is 1.0 MB; this server takes images up to 1 MB (--max-upload-mb)", big.error());
        ServeFixture.Answer sneaky = upload(server, "../../etc/x.png", Files.readAllBytes(fixture.picture));
        assertEquals("x.png", sneaky.json().get("name").getAsString(), "the browser's folders are dropped");
        String id = id(sneaky);
        assertEquals(410, get(server, "/api/predict?weights=" + weights() + "&image=0123").status());
        assertEquals(400, get(server, "/api/pca?weights=" + weights() + "&image=" + id + "&layer=7").status());
        assertEquals(400, get(server, "/api/pca?weights=" + weights() + "&image=" + id + "&layer=one").status());
        assertEquals(400, get(server, "/api/segment?weights=" + weights() + "&image=" + id + "&layer=1&tau=NaN").status());
        assertEquals(404, get(server, "/api/nothing").status());
        assertEquals(405, get(server, "/api/images").status());
        assertEquals(200, get(server, "/api/predict?weights=" + weights() + "&image=" + id).status(), "still serving");
    }

    /** The fixture image's class-token attention at both layers is PyTorch's, and predict is CrateModel.predict's. */
    @Test
    void predictionAndAttentionAreTheLibrarysAndPyTorchs() throws Exception {
        Path image = ClassifierParityTest.fixture("analysis_image.png");
        String id = id(upload(server, "analysis_image.png", Files.readAllBytes(image)));
        JsonObject layers = get(server, "/api/layers?weights=" + weights() + "&image=" + id).json();
        Safetensors.Contents expected = Safetensors.read(ClassifierParityTest.fixture("analysis_image.expected.safetensors"));
        for (int l = 0; l < 2; l++) {
            float[] a = expected.tensors().get("layer" + l + ".attention").toFloats(); // (1, 4, 17, 17)
            JsonObject doc = layers.getAsJsonArray("attention").get(l).getAsJsonObject();
            assertEquals("attention", doc.get("kind").getAsString());
            assertEquals(l, doc.get("layer").getAsInt());
            for (int h = 0; h < 4; h++) {
                float[] row = new float[16];
                System.arraycopy(a, h * 17 * 17 + 1, row, 0, 16);
                assertArrayEquals(row, floats(doc.getAsJsonArray("attention").get(h)), 1e-5f, "layer " + l + " head " + h);
                assertEquals(a[h * 17 * 17], doc.getAsJsonArray("classToken").get(h).getAsFloat(), 1e-5f);
            }
        }
        JsonArray top = get(server, "/api/predict?weights=" + weights() + "&image=" + id + "&top=5").json().getAsJsonArray("top");
        try (CrateModel m = CrateModel.load(fixture.weights)) {
            List<Classification> want = m.predict(image, 5);
            assertEquals(5, top.size());
            for (int i = 0; i < 5; i++) {
                JsonObject g = top.get(i).getAsJsonObject();
                assertEquals(want.get(i).index(), g.get("index").getAsInt());
                assertEquals(want.get(i).label(), g.get("label").getAsString());
                assertEquals(want.get(i).probability(), g.get("probability").getAsDouble(), 0.0);
            }
        }
    }

    /** pca and segment answer `crate pca --json` and `crate segment --json`, value for value; layerwise the coding rate and sparsity of each layer. */
    @Test
    void mapsAreTheCommandsJsonDocuments() throws Exception {
        String id = id(upload(server, "blocks.png", Files.readAllBytes(fixture.picture)));
        for (int l = 0; l < 2; l++) {
            JsonObject pca = get(server, "/api/pca?weights=" + weights() + "&image=" + id + "&layer=" + l).json();
            JsonObject cli = cli("pca", "--layer", l);
            for (String k : List.of("kind", "layer", "depth", "size", "grid", "explainedVariance", "components", "foreground", "foregroundPatches")) {
                assertEquals(cli.get(k), pca.get(k), "pca layer " + l + ": " + k);
            }
            assertEquals("blocks", pca.get("image").getAsString());
            JsonObject seg = get(server, "/api/segment?weights=" + weights() + "&image=" + id + "&layer=" + l).json();
            JsonObject cliSeg = cli("segment", "--layer", l);
            for (String k : List.of("kind", "layer", "width", "height", "mass", "tau", "coarseMasks", "labels", "objects")) {
                assertEquals(cliSeg.get(k), seg.get(k), "segment layer " + l + ": " + k);
            }
            JsonObject att = get(server, "/api/layers?weights=" + weights() + "&image=" + id).json().getAsJsonArray("attention").get(l).getAsJsonObject();
            JsonObject cliAtt = cli("attention", "--layer", l);
            for (String k : List.of("kind", "layer", "heads", "classToken", "attention")) {
                assertEquals(cliAtt.get(k), att.get(k), "attention layer " + l + ": " + k);
            }
        }
        JsonArray layerwise = get(server, "/api/layers?weights=" + weights() + "&image=" + id).json()
                .getAsJsonObject("layerwise").getAsJsonArray("layers");
        try (CrateModel m = CrateModel.load(fixture.weights)) {
            InputImage img = InputImage.load(fixture.picture, 16, 3, m.normalization());
            List<LayerTrace> traces = m.encoder().trace(img.input());
            for (int l = 0; l < 2; l++) {
                JsonObject s = layerwise.get(l).getAsJsonObject();
                assertEquals(CodingRate.perImage(traces.get(l).subspaces())[0], s.getAsJsonObject("codingRate").get("mean").getAsDouble(), 1e-9);
                assertEquals(Sparsity.nonZeroFraction(traces.get(l).sparse())[0], s.getAsJsonObject("nonZeroFraction").get("mean").getAsDouble(), 1e-12);
                assertEquals(0.0, s.getAsJsonObject("codingRate").get("std").getAsDouble(), "one image");
            }
        }
    }

    @Test
    void curvesAreTheRunsMetrics() throws Exception {
        JsonObject c = get(server, "/api/curves?run=" + encode(fixture.run.toString())).json();
        assertEquals("metrics.jsonl", c.get("file").getAsString());
        assertEquals(JsonParser.parseString("[\"epoch\",\"train_loss\",\"val_loss\",\"train_top1\",\"val_top1\",\"lr\"]"), c.get("columns"));
        assertEquals(JsonParser.parseString("[2.0,1.2,1.3,0.45,0.4,5.0E-4]"), c.getAsJsonArray("rows").get(1));
        Path csvRun = Files.createDirectories(fixture.runs.resolve("csv-run"));
        Files.writeString(csvRun.resolve("metrics.csv"), "epoch,loss,note\n1,0.5,x\n2,,y\n");
        JsonObject csv = get(server, "/api/curves?run=" + encode(csvRun.toString())).json();
        assertEquals(JsonParser.parseString("[[1.0,0.5],[2.0,null]]"), csv.get("rows"), "empty and text cells are no values");
        assertEquals(2, get(server, "/api/files").json().getAsJsonArray("runs").size());
    }

    /**
     * A checkpoint of each other family is served too: its predictions are the library's, and every
     * layer has a map document (ToST's TSSA compares no token pairs: its row is the token weights).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"crate-alpha-fmnist, 14", "vit-fmnist, 14", "tost-fmnist, 16"})
    void everyFamilysCheckpointIsServed(String preset, int size) throws Exception {
        Path file = Files.createDirectories(tmp.resolve(preset)).resolve("model.safetensors");
        org.crate4j.engine.Torch.seed(4);
        org.crate4j.model.ImageClassifier m = org.crate4j.zoo.Zoo.create(preset, new org.crate4j.zoo.Zoo.Fit(1, 3, size, 0),
                org.crate4j.engine.Device.CPU);
        m.save(file, java.util.Map.of());
        try (ExplorerServer one = ServeFixture.serve("--weights", file.toString(), "--port", "0")) {
            String id = id(upload(one, "blocks.png", Files.readAllBytes(fixture.picture)));
            String w = encode(file.toString());
            ServeFixture.Answer predicted = get(one, "/api/predict?weights=" + w + "&image=" + id + "&top=3");
            assertEquals(200, predicted.status(), String.valueOf(predicted.error()));
            JsonArray top = predicted.json().getAsJsonArray("top");
            try (CrateModel model = CrateModel.load(file)) {
                List<Classification> want = model.predict(fixture.picture, 3);
                assertEquals(3, top.size());
                for (int i = 0; i < 3; i++) {
                    assertEquals(want.get(i).index(), top.get(i).getAsJsonObject().get("index").getAsInt(), preset);
                    assertEquals(want.get(i).probability(), top.get(i).getAsJsonObject().get("probability").getAsDouble(), 1e-6, preset);
                }
                ServeFixture.Answer layers = get(one, "/api/layers?weights=" + w + "&image=" + id);
                assertEquals(200, layers.status(), String.valueOf(layers.error()));
                assertEquals(model.layers(), layers.json().getAsJsonArray("attention").size(), preset);
            }
        }
    }

    /** Two checkpoints with room for one model: each request reloads what the other evicted, and both keep answering. */
    @Test
    void aBoundedCacheServesEveryCheckpoint() throws Exception {
        Path second = Files.copy(fixture.weights, tmp.resolve("second.safetensors"));
        try (ExplorerServer one = ServeFixture.serve("--weights", fixture.weights.toString(), "--weights", second.toString(), "--port", "0",
                "--models", "1")) {
            String id = id(upload(one, "blocks.png", Files.readAllBytes(fixture.picture)));
            JsonElement first = null;
            for (Path w : List.of(fixture.weights, second, fixture.weights, second)) {
                ServeFixture.Answer a = get(one, "/api/predict?weights=" + encode(w.toString()) + "&image=" + id);
                assertEquals(200, a.status(), String.valueOf(a.error()));
                first = first == null ? a.json().get("top") : first;
                assertEquals(first, a.json().get("top"));
            }
        }
    }

    @Test
    void busyPortAndNothingToServeAreOneLineExitTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliTest.Run r = CliTest.run("serve", "--weights", fixture.weights.toString(), "--port", String.valueOf(taken.getLocalPort()));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().matches("crate: port " + taken.getLocalPort() + " on 127\\.0\\.0\\.1 is in use \\(.*\\): pick another --port\\n"), r.err());
        }
        CliTest.Run none = CliTest.run("serve");
        assertEquals(2, none.code());
        assertEquals("crate: nothing to serve: give --weights FILE (repeatable) and/or --runs DIR", none.err().trim());
        CliTest.Run missing = CliTest.run("serve", "--runs", tmp.resolve("nope").toString());
        assertEquals("crate: --runs " + tmp.resolve("nope") + " does not exist", missing.err().trim());
    }

    /** The page is the jar's own and names nothing to load from elsewhere. */
    @Test
    void thePageLoadsNothingFromTheInternet() throws Exception {
        for (String resource : List.of("index.html", "explorer.js", "charts.js", "explorer.css")) {
            String text;
            try (InputStream in = ExplorerServer.class.getResourceAsStream("serve/" + resource)) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String withoutSvgNamespace = text.replace("'http://www.w3.org/2000/svg'", "");
            assertFalse(withoutSvgNamespace.contains("http://") || withoutSvgNamespace.contains("https://") || withoutSvgNamespace.contains("//cdn")
                    || withoutSvgNamespace.contains("@import"), resource + " refers to another server");
        }
        assertTrue(ServeFixture.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + "/")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body().contains("<script src=\"explorer.js\""));
    }

    private JsonObject cli(String command, Object... args) {
        List<String> all = new java.util.ArrayList<>(List.of(command, "--weights", fixture.weights.toString(), "--json"));
        for (Object a : args) {
            all.add(a.toString());
        }
        all.add(fixture.picture.toString());
        CliTest.Run r = CliTest.run(all.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return JsonParser.parseString(r.out().trim()).getAsJsonObject();
    }

    private static float[] floats(JsonElement a) {
        JsonArray arr = a.getAsJsonArray();
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).getAsFloat();
        }
        return out;
    }
}

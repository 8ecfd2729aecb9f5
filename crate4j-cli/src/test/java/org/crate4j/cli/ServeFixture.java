package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.crate4j.model.ClassifierParityTest;
import picocli.CommandLine;

/**
 * What the serve tests share: a --runs folder holding the fixture classifier (crate_main_module:
 * 16×16 RGB, 5 classes, 4 heads, 2 layers) converted to safetensors and a run's metrics, a picture,
 * and an HTTP client for the server's API.
 */
final class ServeFixture {
    final Path runs, run, weights, picture;

    /** The response of one API call: its status and JSON body. */
    record Answer(int status, JsonObject json) {
        String error() {
            return json.has("error") ? json.get("error").getAsString() : null;
        }
    }

    ServeFixture(Path tmp) throws IOException {
        runs = Files.createDirectories(tmp.resolve("runs"));
        run = Files.createDirectories(runs.resolve("exp"));
        weights = run.resolve("model.safetensors");
        CliTest.Run c = CliTest.run("convert", ClassifierParityTest.fixture("crate_main_module.pth").toString(), weights.toString(), "--heads", "4");
        assertEquals(0, c.code(), c.err());
        Files.writeString(run.resolve("metrics.jsonl"), """
                {"epoch":1.0,"train_loss":1.6,"val_loss":1.5,"train_top1":0.2,"val_top1":0.25,"lr":0.001}
                {"epoch":2.0,"train_loss":1.2,"val_loss":1.3,"train_top1":0.45,"val_top1":0.4,"lr":5.0E-4}
                {"epoch":3.0,"train_loss":0.9,"val_loss":1.1,"train_top1":0.6,"val_top1":0.55,"lr":1.0E-4}
                """);
        picture = picture(tmp.resolve("blocks.png"), 96);
    }

    /** A 'size' px picture: a warm off-centre disc and a blue bar on a dim gradient, so the maps have something to find. */
    static Path picture(Path file, int size) throws IOException {
        BufferedImage bi = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                double dx = x - size * 0.62, dy = y - size * 0.4;
                boolean disc = dx * dx + dy * dy < size * size * 0.06;
                boolean bar = y > size * 0.75 && y < size * 0.88 && x > size * 0.1 && x < size * 0.55;
                int r = disc ? 235 : bar ? 40 : 30 + x * 60 / size, g = disc ? 150 : bar ? 90 : 40 + y * 50 / size, b = disc ? 40 : bar ? 220 : 70;
                bi.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        ImageIO.write(bi, "png", file.toFile());
        return file;
    }

    /** The first half of a PNG: its IEND chunk is missing. */
    static byte[] truncated(Path png) throws IOException {
        byte[] b = Files.readAllBytes(png);
        return Arrays.copyOf(b, b.length / 2);
    }

    /** Starts the server as `crate serve ARGS` would, in this JVM. */
    static ExplorerServer serve(String... args) {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs(args);
        return command.start();
    }

    static final HttpClient HTTP = HttpClient.newHttpClient();

    static String encode(Object v) {
        return URLEncoder.encode(v.toString(), StandardCharsets.UTF_8);
    }

    static Answer get(ExplorerServer s, String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + pathAndQuery)).GET().build();
        return answer(HTTP.send(r, HttpResponse.BodyHandlers.ofString()));
    }

    static Answer upload(ExplorerServer s, String name, byte[] bytes) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/api/images"))
                .header("X-File-Name", encode(name)).POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        return answer(HTTP.send(r, HttpResponse.BodyHandlers.ofString()));
    }

    private static Answer answer(HttpResponse<String> r) {
        return new Answer(r.statusCode(), JsonParser.parseString(r.body()).getAsJsonObject());
    }
}

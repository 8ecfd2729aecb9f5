package org.crate4j.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.crate4j.CrateException;
import org.crate4j.api.CrateModel;

/**
 * The HTTP side of {@code crate serve}: the explorer page from the jar's resources and a JSON API
 * over {@link ExplorerAnalysis}. Every failure of a request is answered (400 bad input, 403 a path
 * outside what was given, 410 an image no longer held, 413 too large, 500 a bug) as
 * {@code {"error": "..."}}, and the server goes on serving.
 */
final class ExplorerServer implements AutoCloseable {
    /** The page and what it loads; nothing else is served from the jar. */
    private static final Map<String, String> PAGE = Map.of("/", "index.html", "/explorer.js", "explorer.js", "/charts.js", "charts.js",
            "/explorer.css", "explorer.css");
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]");

    /**
     * @param maxUploadBytes the largest image a request may carry
     * @param maxModels      how many models stay loaded
     */
    record Settings(String host, int port, long maxUploadBytes, int maxModels) {}

    /** An answer other than 200, with the message the page shows. */
    static final class Failure extends RuntimeException {
        final int status;

        Failure(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final ServedFiles files;
    private final ModelCache models;
    private final Uploads uploads = new Uploads();
    private final Settings settings;
    private final HttpServer http;
    private final ExecutorService workers;
    private final boolean loopback;

    private ExplorerServer(ServedFiles files, ModelCache models, Settings settings) {
        this.files = files;
        this.models = models;
        this.settings = settings;
        InetAddress address;
        try {
            address = InetAddress.getByName(settings.host());
        } catch (IOException e) {
            throw new CrateException("--host " + settings.host() + " is not an address of this machine (" + e.getMessage() + ")");
        }
        this.loopback = address.isLoopbackAddress();
        try {
            http = HttpServer.create(new InetSocketAddress(address, settings.port()), 0);
        } catch (BindException e) {
            throw new CrateException("port " + settings.port() + " on " + settings.host() + " is in use (" + e.getMessage() + "): pick another --port");
        } catch (IOException e) {
            throw new CrateException("cannot listen on " + settings.host() + ":" + settings.port() + " (" + e.getMessage() + ")");
        }
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "crate-serve-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(workers);
        http.createContext("/", this::handle);
    }

    /** Binds and starts serving; a busy port fails with one line. */
    static ExplorerServer start(ServedFiles files, ModelCache models, Settings settings) {
        ExplorerServer s = new ExplorerServer(files, models, settings);
        s.http.start();
        return s;
    }

    int port() {
        return http.getAddress().getPort();
    }

    /** Whether only this machine can reach the server. */
    boolean loopbackOnly() {
        return loopback;
    }

    /** The address to open in a browser. */
    String url() {
        String h = http.getAddress().getAddress().getHostAddress();
        return "http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + port() + "/";
    }

    @Override
    public void close() {
        http.stop(0);
        workers.shutdownNow();
        models.close();
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            try {
                requireOwnHost(ex);
                String path = ex.getRequestURI().getPath();
                if (PAGE.containsKey(path)) {
                    page(ex, PAGE.get(path));
                } else if (path.startsWith("/api/")) {
                    json(ex, 200, api(ex, path.substring(5), Query.of(ex.getRequestURI().getRawQuery())));
                } else {
                    throw new Failure(404, "nothing at " + path);
                }
            } catch (Failure f) {
                json(ex, f.status, error(f.getMessage()));
            } catch (ServedFiles.Refused e) {
                json(ex, 403, error(e.getMessage()));
            } catch (CrateException e) {
                json(ex, 400, error(e.getMessage()));
            } catch (RuntimeException | OutOfMemoryError e) {
                // a bug, not bad input: say so on the page and keep the stack trace for the terminal
                e.printStackTrace();
                json(ex, 500, error("internal error: " + e));
            }
        } catch (IOException e) {
            // the browser went away mid-answer; nothing to tell it
        }
    }

    private JsonObject api(HttpExchange ex, String endpoint, Query q) throws IOException {
        if (endpoint.equals("images")) {
            requireMethod(ex, "POST");
            Uploads.Upload u = uploads.add(fileName(ex), body(ex));
            JsonObject o = new JsonObject();
            o.addProperty("id", u.id());
            o.addProperty("name", u.name().toString());
            o.addProperty("width", u.image().width());
            o.addProperty("height", u.image().height());
            return o;
        }
        requireMethod(ex, "GET");
        return switch (endpoint) {
            case "files" -> listing();
            case "curves" -> RunMetrics.read(files.run(q.get("run")));
            case "model" -> onModel(q, m -> ExplorerAnalysis.model(m, files.checkpoint(q.get("weights"))));
            case "predict" -> onModel(q, m -> ExplorerAnalysis.predict(m, image(q), q.integer("top", 5, 1, 1000)));
            case "layers" -> onModel(q, m -> ExplorerAnalysis.layers(m, weights(q), image(q)));
            case "pca" -> onModel(q, m -> ExplorerAnalysis.pca(m, weights(q), image(q), q.integer("layer", -1, 0, 4096)));
            case "segment" -> onModel(q, m -> ExplorerAnalysis.segment(m, weights(q), image(q), q.integer("layer", -1, 0, 4096),
                    q.integer("objects", 3, 1, 20), q.number("tau", 0.15, -1, 1), q.number("mass", 0.6, 1e-6, 1)));
            default -> throw new Failure(404, "no API /api/" + endpoint);
        };
    }

    private JsonObject onModel(Query q, Function<CrateModel, JsonObject> work) {
        Path weights = files.checkpoint(q.get("weights"));
        if (q.get("image") != null) {
            image(q); // an image no longer held is told before a model is loaded for it
        }
        return models.with(weights, work);
    }

    private Path weights(Query q) {
        return files.checkpoint(q.get("weights"));
    }

    private Uploads.Upload image(Query q) {
        String id = q.get("image");
        if (id == null) {
            throw new CrateException("no image named: upload one (POST /api/images) and add ?image=ID");
        }
        Uploads.Upload u = uploads.get(id);
        if (u == null) {
            throw new Failure(410, "the server no longer holds this image (it keeps the last " + Uploads.KEPT + "): drop it in again");
        }
        return u;
    }

    private JsonObject listing() {
        JsonArray checkpoints = new JsonArray();
        for (Path p : files.checkpoints()) {
            JsonObject o = new JsonObject();
            o.addProperty("path", p.toString());
            o.addProperty("label", files.label(p));
            try {
                o.addProperty("bytes", Files.size(p));
            } catch (IOException e) {
                continue; // gone since the listing began
            }
            checkpoints.add(o);
        }
        JsonArray runs = new JsonArray();
        for (Path p : files.runs()) {
            JsonObject o = new JsonObject();
            o.addProperty("path", p.toString());
            o.addProperty("label", files.label(p));
            runs.add(o);
        }
        JsonObject o = new JsonObject();
        o.add("checkpoints", checkpoints);
        o.add("runs", runs);
        o.addProperty("maxUploadBytes", settings.maxUploadBytes());
        return o;
    }

    /** The name the page sends beside an upload (URL-encoded, as a header carries only ASCII). */
    private static String fileName(HttpExchange ex) {
        String name = ex.getRequestHeaders().getFirst("X-File-Name");
        try {
            return name == null ? "upload" : URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "upload";
        }
    }

    /** The request body, refused past the upload limit (the rest is read and dropped so the browser gets the answer). */
    private byte[] body(HttpExchange ex) throws IOException {
        long max = settings.maxUploadBytes();
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        long total = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = ex.getRequestBody()) {
            for (int r; (r = in.read(buf)) > 0 && total <= max + (256L << 20); ) {
                if (total + r <= max) {
                    kept.write(buf, 0, r);
                }
                total += r;
            }
        }
        if (total > max) {
            long size = declared != null && declared.matches("\\d+") ? Long.parseLong(declared) : total;
            throw new Failure(413, String.format(Locale.ROOT, "the image is %.1f MB; this server takes images up to %d MB (--max-upload-mb)",
                    size / 1048576.0, max >> 20));
        }
        return kept.toByteArray();
    }

    /** Loopback servers answer only to loopback names, so a web page cannot reach them by rebinding its own name to 127.0.0.1. */
    private void requireOwnHost(HttpExchange ex) {
        if (!loopback) {
            return;
        }
        String host = ex.getRequestHeaders().getFirst("Host");
        String name = host == null ? "" : host.replaceFirst(":\\d+$", "");
        if (!LOOPBACK_NAMES.contains(name)) {
            throw new Failure(403, "this server answers on 127.0.0.1 and localhost only, not on '" + host + "'");
        }
    }

    private static void requireMethod(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            throw new Failure(405, ex.getRequestURI().getPath() + " takes " + method + ", not " + ex.getRequestMethod());
        }
    }

    private void page(HttpExchange ex, String resource) throws IOException {
        requireMethod(ex, "GET");
        byte[] bytes;
        try (InputStream in = ExplorerServer.class.getResourceAsStream("serve/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks the explorer page's " + resource);
            }
            bytes = in.readAllBytes();
        }
        String type = resource.endsWith(".js") ? "text/javascript" : resource.endsWith(".css") ? "text/css" : "text/html";
        send(ex, 200, type + "; charset=utf-8", bytes);
    }

    private static JsonObject error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        return o;
    }

    private static void json(HttpExchange ex, int status, JsonObject o) throws IOException {
        send(ex, status, "application/json; charset=utf-8", Json.LINE.toJson(o).getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        // the page may load nothing from elsewhere, and nothing elsewhere may frame it
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'");
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }
}

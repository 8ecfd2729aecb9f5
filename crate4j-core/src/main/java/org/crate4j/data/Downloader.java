package org.crate4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.crate4j.CrateException;
import org.crate4j.io.AtomicFiles;

/** Verified downloads: a target file either appears complete and correct, or not at all. */
public final class Downloader {
    private static final int TIMEOUT_MS = 30_000;

    private Downloader() {}

    /**
     * Downloads {@code uri} to a temp file next to {@code target}, checks its digest (MD5 for 32 hex
     * characters, SHA-256 for 64) and atomically renames it to {@code target}.
     */
    public static void fetch(URI uri, Path target, String sha256OrMd5Hex) {
        MessageDigest digest = digestFor(sha256OrMd5Hex);
        download(uri, target, temp -> {
            try (InputStream in = new DigestInputStream(Files.newInputStream(temp), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        }, sha256OrMd5Hex, digest.getAlgorithm());
    }

    /**
     * Like {@link #fetch} but verifies the SHA-256 of the gunzipped content, so a mirror that re-compressed
     * the same data (as Debian did for Fashion-MNIST) still verifies.
     */
    public static void fetchGzip(URI uri, Path target, String payloadSha256Hex) {
        if (payloadSha256Hex == null || payloadSha256Hex.length() != 64) {
            throw new IllegalArgumentException("payload digest must be 64 hex characters (SHA-256)");
        }
        download(uri, target, temp -> {
            MessageDigest digest = digestFor(payloadSha256Hex);
            try (InputStream in = new DigestInputStream(new GZIPInputStream(Files.newInputStream(temp), 1 << 16), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        }, payloadSha256Hex, "SHA-256 of the gunzipped content");
    }

    private interface Verifier {
        String digestOf(Path temp) throws IOException;
    }

    private static void download(URI uri, Path target, Verifier verifier, String expectedHex, String what) {
        Path temp = null;
        try {
            temp = AtomicFiles.temporaryFor(target);
            URLConnection conn = uri.toURL().openConnection();
            conn.setConnectTimeout(TIMEOUT_MS);
            conn.setReadTimeout(TIMEOUT_MS);
            if (conn instanceof HttpURLConnection http && http.getResponseCode() / 100 != 2) {
                throw new IOException("HTTP " + http.getResponseCode() + " " + http.getResponseMessage());
            }
            try (InputStream in = conn.getInputStream();
                 OutputStream out = Files.newOutputStream(temp)) {
                in.transferTo(out);
            }
            String found;
            try {
                found = verifier.digestOf(temp);
            } catch (IOException e) {
                found = "unreadable content (" + e.getMessage() + ")";
            }
            if (!found.equalsIgnoreCase(expectedHex)) {
                throw new CrateException("download of " + uri + " is corrupt: expected " + what + " "
                        + expectedHex.toLowerCase(Locale.ROOT) + " but found " + found
                        + "; the partial file was deleted, retry or fetch it manually to " + target);
            }
            AtomicFiles.commit(temp, target);
            temp = null;
        } catch (IOException | IllegalArgumentException e) {
            throw new CrateException("cannot download " + uri + " to " + target + ": " + e
                    + "; check the network or download the file manually", e);
        } finally {
            AtomicFiles.discard(temp);
        }
    }

    static MessageDigest digestFor(String hex) {
        if (hex == null || !hex.matches("[0-9a-fA-F]+") || (hex.length() != 32 && hex.length() != 64)) {
            throw new IllegalArgumentException("expected digest must be 32 (MD5) or 64 (SHA-256) hex characters, got "
                    + hex);
        }
        try {
            return MessageDigest.getInstance(hex.length() == 32 ? "MD5" : "SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

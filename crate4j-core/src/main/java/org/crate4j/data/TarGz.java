package org.crate4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.crate4j.CrateException;

/** Minimal extractor for .tar.gz archives of regular files and directories (ustar/GNU), enough for CIFAR. */
public final class TarGz {
    private static final int BLOCK = 512;

    private TarGz() {}

    /** Extracts into {@code dest}; returns the number of regular files written. */
    public static int extract(Path archive, Path dest) {
        Path root = dest.toAbsolutePath().normalize();
        int written = 0;
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(archive), 1 << 16))) {
            byte[] header = new byte[BLOCK];
            String longName = null;
            while (true) {
                if (!readBlock(in, header)) {
                    break;
                }
                if (allZero(header)) {
                    break;
                }
                String name = longName != null ? longName : name(header);
                longName = null;
                long size = octal(header, 124, 12);
                char type = (char) header[156];
                if (type == 'L') { // GNU long name: the next entry's name is this entry's content
                    longName = new String(readFully(in, size), StandardCharsets.UTF_8).replace("\0", "");
                    skip(in, padding(size));
                    continue;
                }
                Path out = root.resolve(name).normalize();
                if (!out.startsWith(root)) {
                    throw new CrateException("archive " + archive + " has entry '" + name
                            + "' pointing outside the target folder; refusing to extract it");
                }
                if (type == '0' || type == '\0') {
                    Files.createDirectories(out.getParent());
                    try (OutputStream os = Files.newOutputStream(out)) {
                        copy(in, os, size);
                    }
                    skip(in, padding(size));
                    written++;
                } else {
                    if (type == '5') {
                        Files.createDirectories(out);
                    }
                    // links, pax headers and other entries carry nothing CIFAR needs
                    skip(in, size + padding(size));
                }
            }
        } catch (IOException e) {
            throw new CrateException("cannot extract " + archive + ": " + e.getMessage()
                    + "; the archive is truncated or corrupt, delete it and download again", e);
        }
        return written;
    }

    private static String name(byte[] h) {
        String name = cString(h, 0, 100);
        if (h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r') {
            String prefix = cString(h, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
        }
        return name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len) throws IOException {
        long v = 0;
        for (int i = off; i < off + len; i++) {
            int c = b[i];
            if (c == 0 || c == ' ') {
                if (v != 0) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                throw new IOException("bad octal size field in tar header");
            }
            v = v * 8 + (c - '0');
        }
        return v;
    }

    private static long padding(long size) {
        return (BLOCK - size % BLOCK) % BLOCK;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean readBlock(InputStream in, byte[] block) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("truncated tar header");
        }
        return true;
    }

    private static byte[] readFully(InputStream in, long size) throws IOException {
        byte[] b = in.readNBytes(Math.toIntExact(size));
        if (b.length != size) {
            throw new EOFException("truncated tar entry");
        }
        return b;
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("truncated tar entry");
            }
            out.write(buf, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long n) throws IOException {
        in.skipNBytes(n);
    }
}

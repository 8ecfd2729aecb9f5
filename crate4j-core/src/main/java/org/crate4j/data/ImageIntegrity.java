package org.crate4j.data;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Structural checks that catch what decoders forgive. A JPEG cut short still decodes in ImageIO
 * (the missing rows come out grey), and would be trained on or predicted as if whole.
 */
final class ImageIntegrity {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final byte[] IEND = "IEND".getBytes(StandardCharsets.US_ASCII);

    private ImageIntegrity() {}

    /** What is wrong with the file's structure, or null when nothing is. Judged by content, not by the extension. */
    static String damage(Path file, byte[] b) {
        if (b.length == 0) {
            return "is empty (0 bytes)";
        }
        if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
            return jpegDamage(b);
        }
        if (startsWith(b, PNG_SIGNATURE)) {
            return pngDamage(b);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if ((name.endsWith(".jpg") || name.endsWith(".jpeg")) && b.length < 3) {
            return "is truncated (a JPEG of " + b.length + " bytes)";
        }
        return null;
    }

    /**
     * A whole JPEG ends its last scan with an end-of-image marker (FF D9). Inside entropy-coded
     * data an FF byte is always followed by 00 or a restart marker, so the last start-of-scan
     * (FF DA) followed by no FF D9 means the file was cut inside its last scan. An embedded EXIF
     * thumbnail has its own FF D9, but it comes before the main image's scans.
     */
    static String jpegDamage(byte[] b) {
        int lastSos = -1, lastEoi = -1;
        for (int i = 0; i + 1 < b.length; i++) {
            if ((b[i] & 0xff) == 0xff) {
                int m = b[i + 1] & 0xff;
                if (m == 0xda) {
                    lastSos = i;
                } else if (m == 0xd9) {
                    lastEoi = i;
                }
            }
        }
        if (lastSos < 0) {
            return "is truncated or corrupt (a JPEG with no image scan)";
        }
        if (lastEoi < lastSos) {
            return "is truncated (a JPEG without its end-of-image marker)";
        }
        return null;
    }

    /** A whole PNG ends with its IEND chunk (4-byte length, "IEND", 4-byte CRC). */
    static String pngDamage(byte[] b) {
        int from = Math.max(PNG_SIGNATURE.length, b.length - 64);
        for (int i = b.length - 8; i >= from; i--) {
            if (regionEquals(b, i, IEND)) {
                return null;
            }
        }
        return "is truncated (a PNG without its IEND chunk)";
    }

    private static boolean startsWith(byte[] b, byte[] prefix) {
        return b.length >= prefix.length && regionEquals(b, 0, prefix);
    }

    private static boolean regionEquals(byte[] b, int at, byte[] what) {
        for (int i = 0; i < what.length; i++) {
            if (b[at + i] != what[i]) {
                return false;
            }
        }
        return true;
    }
}

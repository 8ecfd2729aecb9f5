package org.crate4j.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import org.crate4j.CrateException;

/**
 * Bytes of one pickle, from memory (zip data.pkl) or from a file region (legacy checkpoints, whose
 * pickles sit in front of gigabytes of raw storage we must not read in). Every length is checked
 * against what is left before anything is allocated.
 */
final class PickleInput {
    private static final int WINDOW = 1 << 16;
    private static final int MAX_LINE = 1 << 20;

    private final String where;
    private final FileChannel channel; // null when the whole pickle is in buf
    private final long end;
    private byte[] buf;
    private long bufStart;
    private int pos;
    private int limit;

    private PickleInput(String where, FileChannel channel, byte[] buf, long start, long end) {
        this.where = where;
        this.channel = channel;
        this.buf = buf;
        this.bufStart = start;
        this.limit = channel == null ? buf.length : 0;
        this.end = end;
    }

    static PickleInput of(String where, byte[] bytes) {
        return new PickleInput(where, null, bytes, 0, bytes.length);
    }

    static PickleInput of(String where, FileChannel channel, long start) throws IOException {
        return new PickleInput(where, channel, new byte[WINDOW], start, channel.size());
    }

    long position() {
        return bufStart + pos;
    }

    long remaining() {
        return end - position();
    }

    int readByte() {
        if (pos == limit && !refill()) {
            throw truncated(1);
        }
        return buf[pos++] & 0xFF;
    }

    byte[] readBytes(long n) {
        if (n < 0 || n > remaining()) {
            throw truncated(n);
        }
        if (n > Integer.MAX_VALUE - 16) {
            throw new CrateException(where + ": pickle holds a " + n + "-byte string, over crate4j's 2 GiB limit; "
                    + "store large data as tensors instead");
        }
        byte[] out = new byte[(int) n];
        int filled = 0;
        while (filled < n) {
            if (pos == limit && !refill()) {
                throw truncated(n);
            }
            int chunk = Math.min(limit - pos, (int) n - filled);
            System.arraycopy(buf, pos, out, filled, chunk);
            pos += chunk;
            filled += chunk;
        }
        return out;
    }

    /** Unsigned little-endian integer of n ≤ 8 bytes. */
    long readLittleEndian(int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) readByte() << (8 * i);
        }
        return v;
    }

    /** A protocol-0 text argument, without its trailing newline, decoded as UTF-8. */
    String readLine() {
        return new String(readLineBytes(), StandardCharsets.UTF_8);
    }

    /** A protocol-0 text argument as raw bytes (UNICODE lines are latin-1 with escapes, not UTF-8). */
    byte[] readLineBytes() {
        byte[] bytes = new byte[64];
        int n = 0;
        while (true) {
            int b = readByte();
            if (b == '\n') {
                break;
            }
            if (n == bytes.length) {
                if (n >= MAX_LINE) {
                    throw new CrateException(where + ": pickle text line at byte " + position()
                            + " is longer than " + MAX_LINE + " bytes; the file is corrupt");
                }
                bytes = java.util.Arrays.copyOf(bytes, n * 2);
            }
            bytes[n++] = (byte) b;
        }
        if (n > 0 && bytes[n - 1] == '\r') {
            n--;
        }
        return java.util.Arrays.copyOf(bytes, n);
    }

    private boolean refill() {
        if (channel == null) {
            return false;
        }
        bufStart += limit;
        pos = 0;
        limit = 0;
        try {
            ByteBuffer target = ByteBuffer.wrap(buf);
            while (target.hasRemaining() && bufStart + target.position() < end) {
                int read = channel.read(target, bufStart + target.position());
                if (read < 0) {
                    break;
                }
            }
            limit = target.position();
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read (" + e.getMessage() + "); check the file is readable", e);
        }
        return limit > 0;
    }

    private CrateException truncated(long wanted) {
        return new CrateException(where + ": pickle ends early (needs " + wanted + " more bytes at byte "
                + position() + ", " + remaining() + " left); the file is truncated or corrupt: re-download or re-save it");
    }
}

package org.crate4j.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;
import org.crate4j.CrateException;

/**
 * Scalars in TensorBoard's event-file format, so that {@code tensorboard --logdir runs} shows
 * every run. The file is a sequence of records, each {@code uint64 length, uint32 masked
 * CRC32C(length), bytes, uint32 masked CRC32C(bytes)}, little-endian; each record is one
 * {@code tensorflow.Event} protocol buffer (wall_time = 1, step = 2, file_version = 3,
 * summary = 5; Summary.value = 1; Value.tag = 1, Value.simple_value = 2). The first event names the
 * format version. The file is only appended to; a run cut short leaves at most a partial last
 * record, which readers skip.
 */
public final class TensorBoardEvents implements AutoCloseable {
    private static final java.util.concurrent.atomic.AtomicInteger COUNTER = new java.util.concurrent.atomic.AtomicInteger();
    private final Path file;
    private final OutputStream out;

    private TensorBoardEvents(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /** A new event file in {@code dir}, named as TensorBoard expects ({@code events.out.tfevents.<time>.<host>}). */
    public static TensorBoardEvents create(Path dir) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        long now = System.currentTimeMillis();
        // TensorBoard finds files by "tfevents" in the name; pid and a counter keep two writers of one second apart
        Path file = dir.resolve("events.out.tfevents." + now / 1000 + "." + host + "." + ProcessHandle.current().pid() + "."
                + COUNTER.incrementAndGet());
        try {
            Files.createDirectories(dir);
            TensorBoardEvents w = new TensorBoardEvents(file, Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            Proto e = new Proto().fixed64(1, Double.doubleToLongBits(now / 1000.0)).string(3, "brain.Event:2");
            w.record(e.bytes());
            return w;
        } catch (IOException e) {
            throw new CrateException("cannot write TensorBoard events to " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** One event at {@code step} holding every scalar of {@code values} (tag → value), flushed at once. */
    public synchronized void scalars(long step, Map<String, Double> values) {
        Proto summary = new Proto();
        values.forEach((tag, v) -> summary.message(1, new Proto().string(1, tag).fixed32(2, Float.floatToIntBits(v.floatValue()))));
        Proto event = new Proto().fixed64(1, Double.doubleToLongBits(System.currentTimeMillis() / 1000.0)).varint(2, step)
                .message(5, summary);
        try {
            record(event.bytes());
        } catch (IOException e) {
            throw new CrateException("cannot write TensorBoard events to " + file + ": " + e.getMessage(), e);
        }
    }

    private void record(byte[] data) throws IOException {
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.write(len);
        out.write(le32(maskedCrc(len)));
        out.write(data);
        out.write(le32(maskedCrc(data)));
        out.flush();
    }

    /** TFRecord's checksum: CRC32C, rotated right by 15 bits, plus a constant. */
    public static int maskedCrc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        int crc = (int) c.getValue();
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // every record was flushed when written
        }
    }

    /** The few protocol-buffer encodings an Event needs. */
    static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Proto varint(int field, long v) {
            tag(field, 0);
            raw(v);
            return this;
        }

        Proto fixed64(int field, long bits) {
            tag(field, 1);
            buf.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bits).array());
            return this;
        }

        Proto fixed32(int field, int bits) {
            tag(field, 5);
            buf.writeBytes(le32(bits));
            return this;
        }

        Proto string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto m) {
            return bytes(field, m.bytes());
        }

        private Proto bytes(int field, byte[] b) {
            tag(field, 2);
            raw(b.length);
            buf.writeBytes(b);
            return this;
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                buf.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            buf.write((int) v);
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }
}

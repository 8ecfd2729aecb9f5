package org.crate4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event files parse back as TensorBoard reads them: checksummed records of Event protos. */
public class TensorBoardEventsTest {
    @TempDir
    Path dir;

    /** One decoded Event: step, file_version (or null) and its scalars. */
    public record Event(long step, double wallTime, String version, Map<String, Float> scalars) {}

    /** A reader written from the format's description (independent of the writer's Proto class). */
    public static List<Event> read(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> out = new ArrayList<>();
        while (b.remaining() >= 12) {
            byte[] len = new byte[8];
            b.get(len);
            assertEquals(TensorBoardEvents.maskedCrc(len), b.getInt(), "length checksum");
            byte[] data = new byte[(int) ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertEquals(TensorBoardEvents.maskedCrc(data), b.getInt(), "data checksum");
            out.add(event(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)));
        }
        assertEquals(0, b.remaining());
        return out;
    }

    static long varint(ByteBuffer b) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b.get() & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if (x < 0x80) {
                return v;
            }
        }
    }

    static Event event(ByteBuffer b) {
        long step = 0;
        double wall = 0;
        String version = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        while (b.hasRemaining()) {
            long key = varint(b);
            int field = (int) (key >>> 3), wire = (int) (key & 7);
            if (field == 1 && wire == 1) {
                wall = b.getDouble();
            } else if (field == 2 && wire == 0) {
                step = varint(b);
            } else if (field == 3 && wire == 2) {
                byte[] s = new byte[(int) varint(b)];
                b.get(s);
                version = new String(s, StandardCharsets.UTF_8);
            } else if (field == 5 && wire == 2) {
                int n = (int) varint(b);
                ByteBuffer summary = b.slice(b.position(), n).order(ByteOrder.LITTLE_ENDIAN);
                b.position(b.position() + summary.remaining());
                while (summary.hasRemaining()) {
                    assertEquals((1 << 3) | 2, varint(summary), "Summary.value");
                    int m = (int) varint(summary);
                    ByteBuffer value = summary.slice(summary.position(), m).order(ByteOrder.LITTLE_ENDIAN);
                    summary.position(summary.position() + value.remaining());
                    String tag = null;
                    float v = Float.NaN;
                    while (value.hasRemaining()) {
                        long k = varint(value);
                        if (k == ((1 << 3) | 2)) {
                            byte[] s = new byte[(int) varint(value)];
                            value.get(s);
                            tag = new String(s, StandardCharsets.UTF_8);
                        } else if (k == ((2 << 3) | 5)) {
                            v = value.getFloat();
                        } else {
                            throw new AssertionError("unexpected Value field " + k);
                        }
                    }
                    scalars.put(tag, v);
                }
            } else {
                throw new AssertionError("unexpected Event field " + field + " wire " + wire);
            }
        }
        return new Event(step, wall, version, scalars);
    }

    @Test
    void scalarsReadBackWithTheirStepsTagsAndValues() throws Exception {
        Path file;
        try (TensorBoardEvents w = TensorBoardEvents.create(dir)) {
            file = w.file();
            Map<String, Double> first = new LinkedHashMap<>();
            first.put("train/loss", 2.302585);
            first.put("train/lr", 1e-3);
            w.scalars(10, first);
            w.scalars(300, Map.of("val/top1", 0.9126));
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        List<Event> events = read(file);
        assertEquals(3, events.size());
        assertEquals("brain.Event:2", events.get(0).version());
        assertTrue(Math.abs(events.get(0).wallTime() - System.currentTimeMillis() / 1000.0) < 60);
        assertEquals(10, events.get(1).step());
        assertEquals(2.302585f, events.get(1).scalars().get("train/loss"));
        assertEquals(1e-3f, events.get(1).scalars().get("train/lr"));
        assertEquals(300, events.get(2).step());
        assertEquals(Map.of("val/top1", 0.9126f), events.get(2).scalars());
    }

    @Test
    void theChecksumIsTfRecordsMaskedCrc32c() {
        // CRC32C("123456789") = 0xE3069283 (the standard check value); masked as TFRecord masks it
        int crc = 0xE3069283;
        int masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
        assertEquals(masked, TensorBoardEvents.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII)));
    }
}

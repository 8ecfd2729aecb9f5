package org.crate4j.checkpoint;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.io.Inputs;
import org.crate4j.io.AtomicFiles;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}}), then the tensor bytes.
 */
public final class Safetensors {
    /** The reference implementation refuses headers over 100 MB; so do we, before allocating. */
    private static final long MAX_HEADER_BYTES = 100_000_000;

    /** Tensors in header order, and the free-form string metadata (empty when absent). */
    public record Contents(LinkedHashMap<String, RawTensor> tensors, Map<String, String> metadata) {}

    private Safetensors() {}

    public static Contents read(Path file) {
        String where = "safetensors " + file.getFileName();
        Inputs.requireFile(file, "safetensors");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new CrateException(where + " is " + size + " bytes, too short for a safetensors header; "
                        + "the file is truncated or not safetensors");
            }
            long headerLength = ByteBuffer.wrap(readFully(channel, 0, 8, where)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
                throw new CrateException(where + " declares a " + headerLength + "-byte header but the file has " + size
                        + " bytes (limit " + MAX_HEADER_BYTES + "); the file is truncated or not safetensors");
            }
            String json = new String(readFully(channel, 8, (int) headerLength, where), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(json, size - dataStart, where);
            LinkedHashMap<String, RawTensor> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.Entry e : header.entries()) {
                byte[] data = readFully(channel, dataStart + e.begin(), (int) (e.end() - e.begin()), where);
                tensors.put(e.name(), new RawTensor(e.dtype(), e.shape(), data));
            }
            return new Contents(tensors, header.metadata());
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read (" + e.getMessage() + "); check the file is readable", e);
        }
    }

    /** Atomic: writes a temp file in the same directory, fsyncs it, then renames it over the target. */
    public static void write(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) {
        String where = "safetensors " + file.getFileName();
        byte[] header = header(tensors, metadata == null ? Map.of() : metadata, where);
        Path directory = file.toAbsolutePath().getParent();
        Path temp = null;
        try {
            if (!Files.isDirectory(directory)) {
                throw new IOException("no such folder");
            }
            temp = AtomicFiles.temporaryFor(file);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
                writeFully(out, ByteBuffer.wrap(header));
                for (RawTensor t : tensors.values()) {
                    writeFully(out, ByteBuffer.wrap(t.data()));
                }
                out.force(true);
            }
            AtomicFiles.commit(temp, file);
            temp = null;
            syncDirectory(directory);
        } catch (IOException e) {
            throw new CrateException(where + ": cannot write (" + e.getMessage()
                    + "); check that " + directory + " exists, is writable and has space", e);
        } finally {
            AtomicFiles.discard(temp);
        }
    }

    /** JSON header padded with spaces to a multiple of 8 bytes, so the data starts aligned. */
    private static byte[] header(Map<String, RawTensor> tensors, Map<String, String> metadata, String where) {
        StringWriter text = new StringWriter();
        try (JsonWriter json = new JsonWriter(text)) {
            json.beginObject();
            if (!metadata.isEmpty()) {
                json.name(SafetensorsHeader.METADATA_KEY).beginObject();
                for (Map.Entry<String, String> m : metadata.entrySet()) {
                    if (m.getKey() == null || m.getValue() == null) {
                        throw new CrateException(where + ": metadata entry " + m.getKey() + " has a null key or value; "
                                + "safetensors metadata holds strings only");
                    }
                    json.name(m.getKey()).value(m.getValue());
                }
                json.endObject();
            }
            long offset = 0;
            for (Map.Entry<String, RawTensor> e : tensors.entrySet()) {
                String name = e.getKey();
                RawTensor t = e.getValue();
                if (name == null || name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY) || t == null) {
                    throw new CrateException(where + ": cannot write tensor named '" + name + "'" + (t == null ? " (null)" : "")
                            + "; names must be non-empty, not " + SafetensorsHeader.METADATA_KEY + ", and tensors non-null");
                }
                json.name(name).beginObject();
                json.name("dtype").value(t.dtype().safetensorsName());
                json.name("shape").beginArray();
                for (long d : t.shape()) {
                    json.value(d);
                }
                json.endArray();
                json.name("data_offsets").beginArray().value(offset).value(offset + t.data().length).endArray();
                json.endObject();
                offset += t.data().length;
            }
            json.endObject();
        } catch (IOException e) {
            throw new IllegalStateException("StringWriter does not fail", e);
        }
        byte[] raw = text.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8;
        byte[] out = java.util.Arrays.copyOf(raw, padded);
        java.util.Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }

    private static byte[] readFully(FileChannel channel, long position, int length, String where) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new CrateException(where + " ends at byte " + (position + buf.position()) + " inside a tensor; "
                        + "the file is truncated: re-download or re-write it");
            }
        }
        return buf.array();
    }

    private static void writeFully(FileChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /** Makes the rename itself durable; not every platform can open a directory, so this is best effort. */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the data file itself was already forced; losing only the rename on a crash is acceptable
        }
    }
}

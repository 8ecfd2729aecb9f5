package org.crate4j.checkpoint;

import static org.crate4j.checkpoint.CheckpointSafetyTest.assertMessage;
import static org.crate4j.checkpoint.ExpectedValues.assertMatches;
import static org.crate4j.checkpoint.ExpectedValues.expected;
import static org.crate4j.checkpoint.ExpectedValues.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    @TempDir
    Path dir;

    @Test
    void roundTripKeepsEveryDtypeShapeOrderAndMetadata() throws IOException {
        LinkedHashMap<String, RawTensor> tensors = new LinkedHashMap<>();
        tensors.put("weight", RawTensor.ofFloats(new float[] {1, -2, 3.5f, 4, 5, 6}, 2, 3));
        tensors.put("scalar", RawTensor.ofFloats(new float[] {0.25f}));
        tensors.put("empty", new RawTensor(DType.F32, new long[] {0, 4}, new byte[0]));
        byte b = 1;
        for (DType dtype : DType.values()) {
            byte[] data = new byte[3 * dtype.byteSize()];
            for (int i = 0; i < data.length; i++) {
                data[i] = dtype == DType.BOOL ? (byte) (i % 2) : b++;
            }
            tensors.put("t_" + dtype, new RawTensor(dtype, new long[] {3}, data));
        }
        Map<String, String> metadata = Map.of("preset", "crate-tiny", "mean", "[0.485, 0.456, 0.406]", "note", "λ ✓");
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, tensors, metadata);

        Safetensors.Contents back = Safetensors.read(file);
        assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(back.tensors().keySet()));
        for (String name : tensors.keySet()) {
            assertEquals(tensors.get(name).dtype(), back.tensors().get(name).dtype(), name);
            assertArrayEquals(tensors.get(name).shape(), back.tensors().get(name).shape(), name);
            assertArrayEquals(tensors.get(name).data(), back.tensors().get(name).data(), name);
        }
        assertEquals(metadata, back.metadata());
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded so tensor data starts 8-byte aligned");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temp file left behind");
        }
    }

    @Test
    void writeReplacesAnExistingFileWhole() throws IOException {
        Path file = dir.resolve("w.safetensors");
        Safetensors.write(file, Map.of("a", RawTensor.ofFloats(new float[100], 100)), Map.of());
        Safetensors.write(file, Map.of("b", RawTensor.ofFloats(new float[] {7}, 1)), null);
        Safetensors.Contents back = Safetensors.read(file);
        assertEquals(List.of("b"), new ArrayList<>(back.tensors().keySet()));
        assertArrayEquals(new float[] {7}, back.tensors().get("b").toFloats());
        assertEquals(Map.of(), back.metadata());
    }

    @Test
    void readsFileWrittenByPython() throws IOException {
        JsonObject expected = expected("python_written.safetensors");
        Safetensors.Contents contents = Safetensors.read(fixture("python_written.safetensors"));
        assertMatches(expected.get("tree"), contents.tensors(), "safetensors");
        assertEquals(Map.of("format", "pt", "preset", "crate-tiny"), contents.metadata());
    }

    @Test
    void rejectsCorruptHeaders() throws IOException {
        byte[] eight = new byte[8];
        String f32 = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
        assertMessage("tensor 'a' has data_offsets [0, 16] outside the 8-byte data section",
                () -> Safetensors.read(raw("{\"a\":" + f32 + "[0,16]}}", eight)));
        assertMessage("tensor 'a' is F32 [2] (8 bytes) but its data_offsets span 4 bytes",
                () -> Safetensors.read(raw("{\"a\":" + f32 + "[0,4]}}", eight)));
        assertMessage("tensors 'a' and 'b' overlap",
                () -> Safetensors.read(raw("{\"a\":" + f32 + "[0,8]},\"b\":" + f32 + "[4,12]}}", new byte[12])));
        assertMessage("has dtype 'F8_E4M3', which crate4j does not read",
                () -> Safetensors.read(raw("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1])));
        assertMessage("header names 'a' twice",
                () -> Safetensors.read(raw("{\"a\":" + f32 + "[0,8]},\"a\":" + f32 + "[0,8]}}", eight)));
        assertMessage("metadata 'epoch' is 3, but safetensors metadata values must be strings",
                () -> Safetensors.read(raw("{\"__metadata__\":{\"epoch\":3}}", new byte[0])));
        assertMessage("shape holds -2, expected a non-negative integer",
                () -> Safetensors.read(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", eight)));
        assertMessage("header is not valid JSON", () -> Safetensors.read(raw("{\"a\": [", eight)));
    }

    @Test
    void rejectsTruncatedFilesAndImpossibleHeaderLengths() throws IOException {
        Path tiny = Files.write(dir.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertMessage("safetensors tiny.safetensors is 3 bytes, too short", () -> Safetensors.read(tiny));
        Path liar = Files.write(dir.resolve("liar.safetensors"),
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertMessage("declares a 1099511627776-byte header but the file has 16 bytes", () -> Safetensors.read(liar));
        Path good = dir.resolve("cut.safetensors");
        Safetensors.write(good, Map.of("a", RawTensor.ofFloats(new float[8], 8)), Map.of());
        byte[] whole = Files.readAllBytes(good);
        Files.write(good, java.util.Arrays.copyOf(whole, whole.length - 4));
        assertMessage("outside the 28-byte data section", () -> Safetensors.read(good));
    }

    private Path raw(String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length).put(json).put(data);
        return Files.write(Files.createTempFile(dir, "raw", ".safetensors"), buf.array());
    }
}

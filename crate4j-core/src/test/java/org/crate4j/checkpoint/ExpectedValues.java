package org.crate4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Compares what the Java reader produced with what PyTorch wrote into the fixture's JSON (see
 * make_fixtures.py for the encoding). Tensor values must match exactly: the reader only moves
 * bytes, so any difference at all is a bug, not rounding.
 */
final class ExpectedValues {
    private ExpectedValues() {}

    static Path fixture(String name) {
        try {
            return Path.of(ExpectedValues.class.getResource("/checkpoint/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing fixture " + name + ": run make_fixtures.py", e);
        }
    }

    static JsonObject expected(String fixtureName) throws IOException {
        return JsonParser.parseString(Files.readString(fixture(fixtureName + ".json"))).getAsJsonObject();
    }

    static void assertMatches(JsonElement expected, Object actual, String path) {
        if (expected.isJsonNull()) {
            assertNull(actual, path);
        } else if (expected.isJsonPrimitive()) {
            assertPrimitive(expected.getAsJsonPrimitive(), actual, path);
        } else if (expected.isJsonArray()) {
            List<?> list = assertInstanceOf(List.class, actual, path);
            JsonArray array = expected.getAsJsonArray();
            assertEquals(array.size(), list.size(), path + " length");
            for (int i = 0; i < array.size(); i++) {
                assertMatches(array.get(i), list.get(i), path + "[" + i + "]");
            }
        } else {
            JsonObject o = expected.getAsJsonObject();
            if (o.has("__tensor__")) {
                assertTensor(o.getAsJsonObject("__tensor__"), assertInstanceOf(RawTensor.class, actual, path), path);
            } else if (o.has("__bytes__")) {
                assertArrayEquals(HexFormat.of().parseHex(o.get("__bytes__").getAsString()),
                        assertInstanceOf(byte[].class, actual, path), path);
            } else if (o.has("__object__")) {
                PickledObject p = assertInstanceOf(PickledObject.class, actual, path);
                assertEquals(o.get("__object__").getAsString(), p.className(), path + " class");
                assertMatches(o.get("args"), p.args(), path + " args");
                assertMatches(o.get("state"), p.state(), path + " state");
            } else {
                Map<?, ?> map = assertInstanceOf(Map.class, actual, path);
                assertEquals(new ArrayList<>(o.keySet()), new ArrayList<>(map.keySet()), path + " keys in order");
                for (String key : o.keySet()) {
                    assertMatches(o.get(key), map.get(key), path + "." + key);
                }
            }
        }
    }

    private static void assertPrimitive(JsonPrimitive expected, Object actual, String path) {
        if (expected.isBoolean()) {
            assertEquals(expected.getAsBoolean(), actual, path);
        } else if (expected.isString()) {
            assertEquals(expected.getAsString(), actual, path);
        } else {
            String text = expected.getAsString();
            boolean isFloat = text.contains(".") || text.contains("e") || text.contains("E");
            if (isFloat) {
                assertEquals(expected.getAsDouble(), assertInstanceOf(Double.class, actual, path), path);
            } else {
                BigInteger want = new BigDecimal(text).toBigIntegerExact();
                if (want.bitLength() < 64) {
                    assertEquals(want.longValue(), assertInstanceOf(Long.class, actual, path), path);
                } else {
                    assertEquals(want, assertInstanceOf(BigInteger.class, actual, path), path);
                }
            }
        }
    }

    static void assertTensor(JsonObject expected, RawTensor t, String path) {
        DType dtype = DType.valueOf(expected.get("dtype").getAsString());
        assertEquals(dtype, t.dtype(), path + " dtype");
        JsonArray shape = expected.getAsJsonArray("shape");
        long[] wantShape = new long[shape.size()];
        for (int i = 0; i < wantShape.length; i++) {
            wantShape[i] = shape.get(i).getAsLong();
        }
        assertArrayEquals(wantShape, t.shape(), path + " shape");
        JsonArray values = expected.getAsJsonArray("values");
        assertEquals(values.size(), t.numel(), path + " numel");
        ByteBuffer b = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = t.toFloats();
        for (int i = 0; i < values.size(); i++) {
            JsonElement v = values.get(i);
            String at = path + "[" + i + "]";
            switch (dtype) {
                case F64 -> assertEquals(v.getAsDouble(), b.getDouble(i * 8), at);
                case F32, F16, BF16 -> assertEquals((float) v.getAsDouble(), floats[i], at);
                case I64 -> assertEquals(v.getAsLong(), b.getLong(i * 8), at);
                case I32 -> assertEquals(v.getAsInt(), b.getInt(i * 4), at);
                case I16 -> assertEquals(v.getAsShort(), b.getShort(i * 2), at);
                case I8 -> assertEquals(v.getAsByte(), t.data()[i], at);
                case U8 -> assertEquals(v.getAsInt(), t.data()[i] & 0xFF, at);
                case BOOL -> {
                    assertTrue(t.data()[i] == 0 || t.data()[i] == 1, at + " is 0 or 1");
                    assertEquals(v.getAsBoolean(), t.data()[i] == 1, at);
                }
            }
        }
    }
}

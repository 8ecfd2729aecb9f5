package org.crate4j.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crate4j.CrateException;

/**
 * The JSON header of a safetensors file, validated completely before any tensor byte is read:
 * known dtypes, non-negative shapes, offsets inside the data, sizes equal to numel × dtype size,
 * no two tensors overlapping and no key twice.
 */
record SafetensorsHeader(List<Entry> entries, Map<String, String> metadata) {
    static final String METADATA_KEY = "__metadata__";

    /** One tensor's header record; offsets are relative to the byte buffer after the header. */
    record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

    static SafetensorsHeader parse(String json, long dataSize, String where) {
        List<Entry> entries = new ArrayList<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.beginObject();
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (!seen.add(name)) {
                    throw new CrateException(where + ": header names '" + name + "' twice; the file is corrupt");
                }
                JsonElement value = JsonParser.parseReader(reader);
                if (name.equals(METADATA_KEY)) {
                    readMetadata(value, metadata, where);
                } else {
                    entries.add(entry(name, value, dataSize, where));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new CrateException(where + ": header has data after its JSON object; the file is corrupt");
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof CrateException c) {
                throw c;
            }
            throw new CrateException(where + ": header is not valid JSON (" + e.getMessage()
                    + "); the file is corrupt or not safetensors", e);
        }
        checkNoOverlap(entries, where);
        return new SafetensorsHeader(entries, metadata);
    }

    private static void readMetadata(JsonElement value, Map<String, String> metadata, String where) {
        if (!value.isJsonObject()) {
            throw new CrateException(where + ": " + METADATA_KEY + " is " + value + ", expected an object of strings");
        }
        for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new CrateException(where + ": metadata '" + e.getKey() + "' is " + PythonText.abbreviate(v.toString())
                        + ", but safetensors metadata values must be strings; store it as text");
            }
            metadata.put(e.getKey(), v.getAsString());
        }
    }

    private static Entry entry(String name, JsonElement value, long dataSize, String where) {
        String what = where + ": tensor '" + name + "'";
        if (!value.isJsonObject()) {
            throw new CrateException(what + " is described by " + PythonText.abbreviate(value.toString())
                    + ", expected {dtype, shape, data_offsets}; the file is corrupt");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtypeName = o.get("dtype");
        if (dtypeName == null || !dtypeName.isJsonPrimitive() || !dtypeName.getAsJsonPrimitive().isString()) {
            throw new CrateException(what + " has no dtype string; the file is corrupt");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeName.getAsString());
        } catch (CrateException e) {
            throw new CrateException(what + " has dtype '" + dtypeName.getAsString() + "', which crate4j does not read; "
                    + "convert it to F32, F16 or BF16 before loading");
        }
        long[] shape = naturals(o.get("shape"), -1, what + " shape");
        long[] offsets = naturals(o.get("data_offsets"), 2, what + " data_offsets");
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new CrateException(what + " has data_offsets [" + begin + ", " + end + "] outside the " + dataSize
                    + "-byte data section; the file is truncated or corrupt");
        }
        long expected;
        try {
            expected = Math.multiplyExact(RawTensor.numel(shape), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            expected = -1;
        }
        if (expected != end - begin) {
            throw new CrateException(what + " is " + dtype + " " + java.util.Arrays.toString(shape) + " (" + expected
                    + " bytes) but its data_offsets span " + (end - begin) + " bytes; the file is corrupt");
        }
        if (expected > TensorView.MAX_TENSOR_BYTES) {
            throw new CrateException(what + " is " + expected + " bytes, over crate4j's 2 GiB limit for a single tensor");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers (of the given length, unless it is -1). */
    private static long[] naturals(JsonElement value, int length, String what) {
        if (value == null || !value.isJsonArray() || (length >= 0 && value.getAsJsonArray().size() != length)) {
            throw new CrateException(what + " is " + value + ", expected an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers; the file is corrupt");
        }
        JsonArray array = value.getAsJsonArray();
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            try {
                out[i] = array.get(i).getAsBigDecimal().longValueExact();
            } catch (RuntimeException e) {
                out[i] = -1;
            }
            if (out[i] < 0) {
                throw new CrateException(what + " holds " + array.get(i) + ", expected a non-negative integer; the file is corrupt");
            }
        }
        return out;
    }

    private static void checkNoOverlap(List<Entry> entries, String where) {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.removeIf(e -> e.begin() == e.end()); // empty tensors occupy no bytes
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry previous = byOffset.get(i - 1);
            Entry current = byOffset.get(i);
            if (current.begin() < previous.end()) {
                throw new CrateException(where + ": tensors '" + previous.name() + "' and '" + current.name()
                        + "' overlap in the data section; the file is corrupt");
            }
        }
    }
}

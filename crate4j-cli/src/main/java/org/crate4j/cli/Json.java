package org.crate4j.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;

/** JSON output of the analysis commands: pretty, and NaN (a class that never occurs) as null. */
final class Json {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping()
            .serializeSpecialFloatingPointValues().create();
    /** The same on one line: JSON lines, one document per line. */
    static final Gson LINE = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    private Json() {}

    static JsonElement number(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? JsonNull.INSTANCE : new JsonPrimitive(v);
    }

    static JsonArray numbers(double[] values) {
        JsonArray a = new JsonArray();
        for (double v : values) {
            a.add(number(v));
        }
        return a;
    }

    static JsonArray floats(float[] values) {
        JsonArray a = new JsonArray();
        for (float v : values) {
            // boxed as Float, Gson prints the shortest text that reads back as the same float32
            a.add(Float.isNaN(v) || Float.isInfinite(v) ? JsonNull.INSTANCE : new JsonPrimitive(v));
        }
        return a;
    }

    /** [row][column] as nested arrays. */
    static JsonArray floats(float[][] rows) {
        JsonArray a = new JsonArray();
        for (float[] r : rows) {
            a.add(floats(r));
        }
        return a;
    }

    /** A mask as 0/1, which numpy reads as integers and is a fifth of true/false's size. */
    static JsonArray bits(boolean[] mask) {
        JsonArray a = new JsonArray();
        for (boolean b : mask) {
            a.add(b ? 1 : 0);
        }
        return a;
    }

    static JsonArray ints(int[] values) {
        JsonArray a = new JsonArray();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }
}

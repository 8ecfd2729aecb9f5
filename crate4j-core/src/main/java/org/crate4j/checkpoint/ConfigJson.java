package org.crate4j.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import org.crate4j.CrateException;
import org.crate4j.model.Attention;
import org.crate4j.model.CrateConfig;

/** The classifier config as JSON, for safetensors metadata and run directories. */
public final class ConfigJson {
    private static final Gson GSON = new Gson();

    private ConfigJson() {}

    /**
     * The config's fields in order; {@code attention} only when it is not MSSA, so that every file
     * an MSSA model writes stays as it was before the field existed (a missing field reads as MSSA).
     */
    public static String toJson(CrateConfig c) {
        if (c.attention() == Attention.MSSA) {
            JsonObject o = GSON.toJsonTree(c).getAsJsonObject();
            o.remove("attention");
            return GSON.toJson(o);
        }
        return GSON.toJson(c);
    }

    public static CrateConfig fromJson(String json) {
        try {
            CrateConfig c = GSON.fromJson(json, CrateConfig.class);
            if (c == null || c.pool() == null) {
                throw new CrateException("model config in metadata is incomplete: " + json);
            }
            return c;
        } catch (JsonParseException e) {
            throw new CrateException("model config in metadata is not valid JSON: " + e.getMessage(), e);
        }
    }
}

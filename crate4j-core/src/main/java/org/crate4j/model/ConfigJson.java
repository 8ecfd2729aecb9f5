package org.crate4j.model;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import org.crate4j.CrateException;

/** The classifier config as JSON, for safetensors metadata and run directories. */
public final class ConfigJson {
    private static final Gson GSON = new Gson();

    private ConfigJson() {}

    /**
     * The config's fields in order; {@code attention} only when it is not MSSA and {@code mssa} only
     * when it is not the reference's free projection, so that every file a reference-shaped model
     * writes stays as it was before the fields existed (a missing field reads as its default).
     */
    public static String toJson(CrateConfig c) {
        JsonObject o = GSON.toJsonTree(c).getAsJsonObject();
        if (c.attention() == Attention.MSSA) {
            o.remove("attention");
        }
        if (c.mssa() == MssaOutput.FREE) {
            o.remove("mssa");
        }
        return GSON.toJson(o);
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

package org.crate4j.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import org.crate4j.CrateException;
import org.crate4j.model.CrateConfig;

/** The classifier config as JSON, for safetensors metadata and run directories. */
public final class ConfigJson {
    private static final Gson GSON = new Gson();

    private ConfigJson() {}

    public static String toJson(CrateConfig c) {
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

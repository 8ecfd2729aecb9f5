package org.crate4j.tost;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import org.crate4j.CrateException;

/** The ToST config as JSON, for safetensors metadata and run directories. */
public final class TostConfigJson {
    private static final Gson GSON = new Gson();

    private TostConfigJson() {}

    public static String toJson(TostConfig c) {
        return GSON.toJson(c);
    }

    public static TostConfig fromJson(String json) {
        try {
            TostConfig c = GSON.fromJson(json, TostConfig.class);
            if (c == null) {
                throw new CrateException("ToST config in metadata is empty");
            }
            return c;
        } catch (JsonParseException e) {
            throw new CrateException("ToST config in metadata is not valid JSON: " + e.getMessage(), e);
        }
    }
}

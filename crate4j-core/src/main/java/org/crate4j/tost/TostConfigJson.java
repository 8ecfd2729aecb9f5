package org.crate4j.tost;

import com.google.gson.Gson;
import org.crate4j.model.FamilySafetensors;

/** The ToST config as JSON, for safetensors metadata and run directories. */
public final class TostConfigJson {
    private static final Gson GSON = new Gson();

    private TostConfigJson() {}

    public static String toJson(TostConfig c) {
        return GSON.toJson(c);
    }

    public static TostConfig fromJson(String json) {
        return FamilySafetensors.config(json, TostConfig.class, "ToST");
    }
}

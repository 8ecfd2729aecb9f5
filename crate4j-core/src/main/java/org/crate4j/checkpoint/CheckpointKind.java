package org.crate4j.checkpoint;

import java.util.Map;
import org.crate4j.CrateException;

/** Which model family a weights file belongs to, read off our metadata or the reference's key names. */
public enum CheckpointKind {
    CLASSIFIER("a CRATE classifier", "to_patch_embedding, transformer.layers.*, mlp_head",
            "use it with train/predict/convert and the analysis commands"),
    MAE("a CRATE-MAE", "patch_embed.proj, blocks.*, decoder_*",
            "use it with mae-pretrain, reconstruct, linear-probe or the analysis commands"),
    TOST("a ToST", "patch_embed.proj.*.1.running_mean, blocks.*.attn.temp, cls_attn_blocks.*",
            "load it as a ToST model (org.crate4j.tost.TostWeights)"),
    UNKNOWN("an unknown", "", "");

    /** Our ToST safetensors' format tag (org.crate4j.tost.TostWeights writes it). */
    public static final String TOST_FORMAT = "crate4j-tost";

    private final String label;
    private final String keys;
    private final String fix;

    CheckpointKind(String label, String keys, String fix) {
        this.label = label;
        this.keys = keys;
        this.fix = fix;
    }

    /** "a CRATE classifier", "a CRATE-MAE", "a ToST", "an unknown": for messages. */
    public String label() {
        return label;
    }

    public static CheckpointKind of(Map<String, long[]> shapes, Map<String, String> metadata) {
        String format = metadata.get("format");
        if (CrateWeights.FORMAT.equals(format)) {
            return CLASSIFIER;
        }
        if (MaeWeights.FORMAT.equals(format)) {
            return MAE;
        }
        if (TOST_FORMAT.equals(format) || isTost(shapes)) {
            return TOST; // before the key loop: ToST's stem is also named patch_embed.proj
        }
        for (String k : shapes.keySet()) {
            if (k.startsWith("transformer.layers.") || k.startsWith("to_patch_embedding.") || k.startsWith("mlp_head.")) {
                return CLASSIFIER;
            }
            if (k.startsWith("patch_embed.proj.") || k.startsWith("decoder_blocks.")
                    || (k.startsWith("blocks.") && k.contains(".layers.0."))) {
                return MAE;
            }
        }
        return UNKNOWN;
    }

    /** ToST's own keys: TSSA's temperature, the class-attention blocks, the Fourier projection. */
    private static boolean isTost(Map<String, long[]> shapes) {
        for (String k : shapes.keySet()) {
            if ((k.startsWith("blocks.") && k.endsWith(".attn.temp")) || k.startsWith("cls_attn_blocks.")
                    || k.startsWith("pos_embeder.")) {
                return true;
            }
        }
        return false;
    }

    /** Fails with one line when the file is recognisably of another kind than {@code wanted}. */
    static void require(CheckpointKind wanted, WeightsFile file) {
        CheckpointKind found = of(file.shapes(), file.metadata());
        if (found != wanted && found != UNKNOWN) {
            throw new CrateException(file.path() + " is " + found.label + " checkpoint (" + found.keys + "), not "
                    + wanted.label + " one: " + found.fix);
        }
    }
}

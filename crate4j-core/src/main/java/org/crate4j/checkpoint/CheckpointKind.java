package org.crate4j.checkpoint;

import java.util.Map;
import org.crate4j.CrateException;

/** Which model family a weights file belongs to, read off our metadata or the reference's key names. */
public enum CheckpointKind {
    CLASSIFIER("a CRATE classifier", "to_patch_embedding, transformer.layers.*, mlp_head",
            "use it with train/predict/convert and the analysis commands"),
    MAE("a CRATE-MAE", "patch_embed.proj, blocks.*, decoder_*",
            "use it with mae-pretrain, reconstruct, linear-probe or the analysis commands"),
    CRATE_ALPHA("a CRATE-α", "conv1, transformer.layers.*.1.fn.D and D1, mlp_head",
            "use it with predict/eval/finetune/convert and the analysis commands (org.crate4j.zoo.Zoo loads it)"),
    VIT("a ViT", "patch_embed.proj, blocks.*.attn.qkv, blocks.*.mlp.fc1, norm, head",
            "use it with predict/eval/finetune/convert and the analysis commands (org.crate4j.zoo.Zoo loads it)"),
    TOST("a ToST", "patch_embed.proj.*.1.running_mean, blocks.*.attn.temp, cls_attn_blocks.*",
            "use it with predict/eval/finetune/convert and the analysis commands (org.crate4j.zoo.Zoo loads it)"),
    UNKNOWN("an unknown", "", "");

    /** Our CRATE classifier safetensors' format tag (org.crate4j.model.CrateWeights writes it). */
    public static final String CLASSIFIER_FORMAT = "crate4j-classifier";
    /** Our CRATE-MAE safetensors' format tag (org.crate4j.mae.MaeWeights writes it). */
    public static final String MAE_FORMAT = "crate4j-mae";
    /** Our ToST safetensors' format tag (org.crate4j.tost.TostWeights writes it). */
    public static final String TOST_FORMAT = "crate4j-tost";
    /** Our CRATE-α safetensors' format tag (org.crate4j.alpha.AlphaWeights writes it). */
    public static final String ALPHA_FORMAT = "crate4j-crate-alpha";
    /** Our ViT safetensors' format tag (org.crate4j.vit.VitWeights writes it). */
    public static final String VIT_FORMAT = "crate4j-vit";

    private final String label;
    private final String keys;
    private final String fix;

    CheckpointKind(String label, String keys, String fix) {
        this.label = label;
        this.keys = keys;
        this.fix = fix;
    }

    /** "a CRATE classifier", "a CRATE-MAE", "a CRATE-α", "a ViT", "a ToST", "an unknown": for messages. */
    public String label() {
        return label;
    }

    /**
     * Our {@code format} metadata when present; else the reference's keys, the most specific
     * first: ToST's and timm's ViT share {@code patch_embed.proj} and {@code blocks.*.attn.qkv}
     * with each other (and the stem's name with CRATE-MAE); CRATE-α shares
     * {@code transformer.layers.*} and {@code mlp_head} with the CRATE classifier.
     */
    public static CheckpointKind of(Map<String, long[]> shapes, Map<String, String> metadata) {
        CheckpointKind tagged = ofFormat(metadata.get("format"));
        if (tagged != UNKNOWN) {
            return tagged;
        }
        if (isTost(shapes)) {
            return TOST;
        }
        if (isAlpha(shapes)) {
            return CRATE_ALPHA;
        }
        if (isVit(shapes)) {
            return VIT;
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

    /** The family our safetensors' {@code format} tag names; UNKNOWN for none or another tag. */
    public static CheckpointKind ofFormat(String format) {
        if (format == null) {
            return UNKNOWN;
        }
        return switch (format) {
            case CLASSIFIER_FORMAT -> CLASSIFIER;
            case MAE_FORMAT -> MAE;
            case TOST_FORMAT -> TOST;
            case ALPHA_FORMAT -> CRATE_ALPHA;
            case VIT_FORMAT -> VIT;
            default -> UNKNOWN;
        };
    }

    /** CRATE-α's convolutional stem {@code conv1} and ODL's second dictionary {@code D1}. */
    private static boolean isAlpha(Map<String, long[]> shapes) {
        for (String k : shapes.keySet()) {
            if (k.equals("conv1.weight") || (k.startsWith("transformer.layers.") && k.endsWith(".1.fn.D1"))) {
                return true;
            }
        }
        return false;
    }

    /** timm's fused attention {@code blocks.N.attn.qkv} (CRATE-MAE's blocks are {@code blocks.N.layers.*}). */
    private static boolean isVit(Map<String, long[]> shapes) {
        for (String k : shapes.keySet()) {
            if (k.startsWith("blocks.") && k.endsWith(".attn.qkv.weight")) {
                return true;
            }
        }
        return false;
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
    public static void require(CheckpointKind wanted, WeightsFile file) {
        CheckpointKind found = of(file.shapes(), file.metadata());
        if (found != wanted && found != UNKNOWN) {
            throw new CrateException(file.path() + " is " + found.label + " checkpoint (" + found.keys + "), not "
                    + wanted.label + " one: " + found.fix);
        }
    }
}

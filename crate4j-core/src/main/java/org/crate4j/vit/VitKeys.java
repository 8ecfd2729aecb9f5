package org.crate4j.vit;

/**
 * timm's VisionTransformer state-dict keys, written once: {@code patch_embed.proj} the stem,
 * {@code blocks.i.} a pre-norm block ({@code norm1}, {@code attn.qkv}, {@code attn.proj},
 * {@code norm2}, {@code mlp.fc1}, {@code mlp.fc2}), {@code norm} the final norm, {@code head}.
 */
final class VitKeys {
    static final String CLASS_TOKEN = "cls_token";
    static final String POSITIONS = "pos_embed";
    static final String STEM = "patch_embed.proj";
    static final String FINAL_NORM = "norm";
    static final String HEAD = "head";

    private VitKeys() {}

    static String block(int i) {
        return "blocks." + i + ".";
    }

    static String norm1(int i) { return block(i) + "norm1"; }
    static String qkv(int i) { return block(i) + "attn.qkv"; }
    static String proj(int i) { return block(i) + "attn.proj"; }
    static String norm2(int i) { return block(i) + "norm2"; }
    static String fc1(int i) { return block(i) + "mlp.fc1"; }
    static String fc2(int i) { return block(i) + "mlp.fc2"; }

    static String weight(String layer) { return layer + ".weight"; }
    static String bias(String layer) { return layer + ".bias"; }
}

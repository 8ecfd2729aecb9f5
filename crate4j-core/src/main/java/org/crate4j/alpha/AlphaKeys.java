package org.crate4j.alpha;

/**
 * The reference's state-dict keys, written once (UCSC-VLAA/CRATE-alpha, the PyTorch inference
 * model): layer i is {@code transformer.layers.i.} with {@code 0.} the pre-normed MSSA and
 * {@code 1.} the pre-normed ODL.
 */
final class AlphaKeys {
    static final String STEM_WEIGHT = "conv1.weight";
    static final String STEM_BIAS = "conv1.bias";
    static final String POSITIONS = "pos_embedding";
    static final String CLASS_TOKEN = "cls_token";
    /** The head: {@code mlp_head.0} the LayerNorm, {@code mlp_head.1} the Linear. */
    static final String HEAD = "mlp_head.";
    static final String HEAD_NORM = "mlp_head.0";
    static final String HEAD_WEIGHT = "mlp_head.1.weight";
    static final String HEAD_BIAS = "mlp_head.1.bias";

    private AlphaKeys() {}

    static String layer(int i) {
        return "transformer.layers." + i + ".";
    }

    /** The MSSA block's prefix: {@code qkv.weight} and {@code to_out.0.weight} under it (see {@code Mssa}). */
    static String mssa(int i) { return layer(i) + "0.fn."; }
    static String qkv(int i) { return mssa(i) + "qkv.weight"; }
    static String out(int i) { return mssa(i) + "to_out.0.weight"; }
    static String mssaNorm(int i) { return layer(i) + "0.norm"; }
    static String odlNorm(int i) { return layer(i) + "1.norm"; }
    static String dictionary(int i) { return layer(i) + "1.fn.D"; }
    static String synthesis(int i) { return layer(i) + "1.fn.D1"; }
}

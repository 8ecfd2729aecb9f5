package org.crate4j.tost;

import java.util.ArrayList;
import java.util.List;
import org.crate4j.model.Initializer;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Tssa;

/**
 * The reference's state-dict layout of a ToST vision model: every key written once, in the order
 * PyTorch's {@code state_dict()} lists them (a module's own tensors, then its children's), with
 * the reference's initialisation (timm's: Linear weights trunc-normal 0.02, biases 0, LayerNorm
 * 1/0; convolutions keep PyTorch's default U(±1/√fan_in); class token trunc-normal 0.02).
 */
final class TostLayout {
    static final String CLS_TOKEN = "cls_token";
    static final String HEAD = "head.";
    static final String POS_PROJECTION = "pos_embeder.token_projection.";

    private TostLayout() {}

    static String stemConv(int stage) { return "patch_embed.proj." + 2 * stage + ".0."; }
    static String stemNorm(int stage) { return "patch_embed.proj." + 2 * stage + ".1."; }
    static String block(int i) { return "blocks." + i + "."; }
    static String classBlock(int j) { return "cls_attn_blocks." + j + "."; }

    static List<ParameterSpec> specs(TostConfig c) {
        List<ParameterSpec> s = new ArrayList<>();
        int d = c.dim();
        s.add(new ParameterSpec(CLS_TOKEN, new long[] {1, 1, d}, ParameterKind.TOKEN, Initializer.truncatedNormal(0.02)));
        int in = c.channels();
        for (int stage = 0; stage < c.stemChannels().length; stage++) {
            int out = c.stemChannels()[stage];
            s.add(new ParameterSpec(stemConv(stage) + "weight", new long[] {out, in, 3, 3}, ParameterKind.WEIGHT,
                    Initializer.fanInUniform(9L * in)));
            batchNorm(s, stemNorm(stage), out);
            in = out;
        }
        for (int i = 0; i < c.depth(); i++) {
            String b = block(i);
            layerScales(s, b, c);
            layerNorm(s, b + "norm1.", d);
            s.addAll(Tssa.specs(b + "attn.", d, c.heads(), c.qkvBias()));
            layerNorm(s, b + "norm2.", d);
            mlp(s, b + "mlp.", c);
        }
        for (int j = 0; j < c.classAttentionLayers(); j++) {
            String b = classBlock(j);
            layerScales(s, b, c);
            layerNorm(s, b + "norm1.", d);
            linear(s, b + "attn.qkv.", 3 * d, d, c.qkvBias());
            linear(s, b + "attn.proj.", d, d, true);
            layerNorm(s, b + "norm2.", d);
            mlp(s, b + "mlp.", c);
        }
        layerNorm(s, "norm.", d);
        linear(s, HEAD, c.numClasses(), d, true);
        int features = 2 * TostConfig.POS_HIDDEN;
        s.add(new ParameterSpec(POS_PROJECTION + "weight", new long[] {d, features, 1, 1}, ParameterKind.WEIGHT,
                Initializer.fanInUniform(features)));
        s.add(new ParameterSpec(POS_PROJECTION + "bias", new long[] {d}, ParameterKind.BIAS, Initializer.fanInUniform(features)));
        return s;
    }

    private static void batchNorm(List<ParameterSpec> s, String p, int channels) {
        s.add(new ParameterSpec(p + "weight", new long[] {channels}, ParameterKind.NORM, Initializer.constant(1)));
        s.add(new ParameterSpec(p + "bias", new long[] {channels}, ParameterKind.NORM, Initializer.constant(0)));
        s.add(new ParameterSpec(p + "running_mean", new long[] {channels}, ParameterKind.STATISTIC, Initializer.constant(0)));
        s.add(new ParameterSpec(p + "running_var", new long[] {channels}, ParameterKind.STATISTIC, Initializer.constant(1)));
        s.add(new ParameterSpec(p + "num_batches_tracked", new long[0], ParameterKind.STATISTIC, Initializer.counter()));
    }

    private static void layerScales(List<ParameterSpec> s, String p, TostConfig c) {
        for (String g : new String[] {"gamma1", "gamma2"}) {
            s.add(new ParameterSpec(p + g, new long[] {c.dim()}, ParameterKind.LAYER_SCALE, Initializer.constant(c.layerScale())));
        }
    }

    private static void layerNorm(List<ParameterSpec> s, String p, int d) {
        s.add(new ParameterSpec(p + "weight", new long[] {d}, ParameterKind.NORM, Initializer.constant(1)));
        s.add(new ParameterSpec(p + "bias", new long[] {d}, ParameterKind.NORM, Initializer.constant(0)));
    }

    private static void mlp(List<ParameterSpec> s, String p, TostConfig c) {
        linear(s, p + "fc1.", c.mlpHidden(), c.dim(), true);
        linear(s, p + "fc2.", c.dim(), c.mlpHidden(), true);
    }

    private static void linear(List<ParameterSpec> s, String p, int out, int in, boolean bias) {
        s.add(new ParameterSpec(p + "weight", new long[] {out, in}, ParameterKind.WEIGHT, Initializer.truncatedNormal(0.02)));
        if (bias) {
            s.add(new ParameterSpec(p + "bias", new long[] {out}, ParameterKind.BIAS, Initializer.constant(0)));
        }
    }
}

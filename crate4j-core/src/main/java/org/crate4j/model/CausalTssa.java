package org.crate4j.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * TSSA for sequences (ToST's language models): token t may use tokens 1..t only, so every
 * statistic {@link Tssa} takes over all tokens becomes a running one, a cumulative sum along the
 * sequence. Time and memory stay O(n).
 *
 * <p>Its tensors, under a prefix, carry the reference's names ({@code CausalSelfAttention_TSSA}):
 * {@code temp} (h, 1); {@code denom_bias} (h, T_max, 1), a learned offset per head and position;
 * {@code c_attn.weight} (d, d) and {@code c_proj.weight} (d, d), each with a bias (d) when enabled.
 */
public final class CausalTssa {
    static final double RUNNING_EPS = 1e-12;

    private final Parameters params;
    private final String prefix;
    private final int heads;
    private final double dropout;

    /** @param dropout the reference's one rate, on the gains 1/(1 + m) and after {@code c_proj} */
    public CausalTssa(Parameters params, String prefix, int heads, double dropout) {
        this.params = params;
        this.prefix = prefix;
        this.heads = heads;
        this.dropout = dropout;
    }

    /** The step's tensors under {@code prefix} for sequences up to {@code blockSize} tokens. */
    public static List<ParameterSpec> specs(String prefix, int dim, int heads, int blockSize, boolean bias) {
        if (dim % heads != 0) {
            throw new org.crate4j.CrateException(heads + " heads do not divide the width " + dim + ": choose heads among its divisors");
        }
        List<ParameterSpec> s = new ArrayList<>();
        s.add(new ParameterSpec(prefix + "temp", new long[] {heads, 1}, ParameterKind.TEMPERATURE, Initializer.constant(1)));
        s.add(new ParameterSpec(prefix + "denom_bias", new long[] {heads, blockSize, 1}, ParameterKind.BIAS, Initializer.constant(0)));
        for (String layer : new String[] {"c_attn", "c_proj"}) {
            s.add(new ParameterSpec(prefix + layer + ".weight", new long[] {dim, dim}, ParameterKind.WEIGHT, Initializer.truncatedNormal(0.02)));
            if (bias) {
                s.add(new ParameterSpec(prefix + layer + ".bias", new long[] {dim}, ParameterKind.BIAS, Initializer.constant(0)));
            }
        }
        return s;
    }

    /** Causal TSSA of a sequence x (B, T, d), T ≤ the block size; dropout only when {@code training}. */
    public Tssa.Output apply(Tensor x, boolean training) {
        long t = x.size(1);
        Tensor bias = p("denom_bias");
        if (t > bias.size(1)) {
            throw new org.crate4j.CrateException("sequence of " + t + " tokens is longer than the block size " + bias.size(1));
        }
        Tensor w = Tssa.splitHeads(Layers.linear(x, p("c_attn.weight"), optional("c_attn.bias")), heads);
        Tensor wSq = w.square();
        // w̄²_t = w_t² / Σ_{s≤t} w_s² + b_{h,t}: the token's share of its coordinate's energy so far
        Tensor share = wSq.div(wSq.cumsum(2).clamp_min(new Scalar(RUNNING_EPS))).add(bias.narrow(1, 0, t));
        // Π_t = softmax over the heads of temp_h · Σ_k w̄²_t (Eq. 10, causal)
        Tensor pi = torch.softmax(share.sum(new long[] {-1}, false, new ScalarTypeOptional()).mul(p("temp")), 1);
        // m_t = Σ_{s≤t} Π_s w_s² / (Σ_{s≤t} Π_s + 1e-8): the running Π-weighted second moment
        Tensor moment = wSq.mul(pi.unsqueeze(-1)).cumsum(2)
                .div(pi.cumsum(-1).add(new Scalar(Tssa.MEMBERSHIP_EPS)).unsqueeze(-1));
        // out_t = −(w_t ⊙ Π_t) ⊙ 1/(1 + m_t) (Eq. 11, causal)
        Tensor gain = Tssa.dropout(moment.add(new Scalar(1.0)).reciprocal(), dropout, training);
        Tensor compressed = w.mul(pi.unsqueeze(-1)).mul(gain).neg();
        Tensor out = Layers.linear(Layers.mergeHeads(compressed), p("c_proj.weight"), optional("c_proj.bias"));
        return new Tssa.Output(Tssa.dropout(out, dropout, training), w, pi);
    }

    private Tensor p(String name) {
        return params.get(prefix + name);
    }

    private Tensor optional(String name) {
        return params.has(prefix + name) ? params.get(prefix + name) : null;
    }
}

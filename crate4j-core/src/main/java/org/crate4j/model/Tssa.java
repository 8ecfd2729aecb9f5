package org.crate4j.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;

/**
 * Token Statistics Self-Attention, the compression step of ToST (Wu et al., "Token Statistics
 * Transformer: Linear-Time Attention via Variational Rate Reduction", ICLR 2025, Eq. 10–11). Where
 * MSSA compares every pair of tokens (O(n²)), TSSA compares each token only with per-head
 * statistics of all tokens — each coordinate's energy — so time and memory grow linearly in n.
 *
 * <p>Its tensors, under a prefix, carry the reference's names ({@code AttentionTSSA}):
 * {@code temp} (h, 1); {@code qkv.weight} (d', d) and, when enabled, {@code qkv.bias} (d');
 * {@code to_out.0.weight} (d, d') and {@code to_out.0.bias} (d), with d' = d in the reference.
 * It is a self-contained step: a block computes {@code z + γ ⊙ tssa.apply(LN(z))}.
 */
public final class Tssa {
    static final double MEMBERSHIP_EPS = 1e-8;
    static final double NORM_EPS = 1e-12;

    /**
     * @param out         the step's output (B, n, d)
     * @param projections w = x·Wᵀ + b per head (B, h, n, k)
     * @param pi          Π, each token's soft membership of the heads (B, h, n): it sums to 1
     *                    over the heads, and takes the place of attention maps in analysis
     */
    public record Output(Tensor out, Tensor projections, Tensor pi) {}

    private final Parameters params;
    private final String prefix;
    private final int heads;
    private final double attentionDropout;
    private final double outputDropout;

    /**
     * @param attentionDropout dropout on the per-coordinate gains 1/(1 + m) (the reference's {@code attn_drop})
     * @param outputDropout    dropout after {@code to_out} (the reference's {@code proj_drop})
     */
    public Tssa(Parameters params, String prefix, int heads, double attentionDropout, double outputDropout) {
        this.params = params;
        this.prefix = prefix;
        this.heads = heads;
        this.attentionDropout = attentionDropout;
        this.outputDropout = outputDropout;
    }

    /** The step's tensors under {@code prefix}, with ToST's initialisation; d' = {@code inner}. */
    public static List<ParameterSpec> specs(String prefix, int dim, int inner, int heads, boolean qkvBias) {
        if (inner % heads != 0) {
            throw new org.crate4j.CrateException(heads + " heads do not divide the TSSA width " + inner
                    + ": choose heads among its divisors");
        }
        List<ParameterSpec> s = new ArrayList<>();
        s.add(new ParameterSpec(prefix + "temp", new long[] {heads, 1}, ParameterKind.TEMPERATURE, Initializer.constant(1)));
        s.add(new ParameterSpec(prefix + "qkv.weight", new long[] {inner, dim}, ParameterKind.WEIGHT, Initializer.truncatedNormal(0.02)));
        if (qkvBias) {
            s.add(new ParameterSpec(prefix + "qkv.bias", new long[] {inner}, ParameterKind.BIAS, Initializer.constant(0)));
        }
        s.add(new ParameterSpec(prefix + "to_out.0.weight", new long[] {dim, inner}, ParameterKind.WEIGHT, Initializer.truncatedNormal(0.02)));
        s.add(new ParameterSpec(prefix + "to_out.0.bias", new long[] {dim}, ParameterKind.BIAS, Initializer.constant(0)));
        return s;
    }

    /** As {@link #specs(String, int, int, int, boolean)} with d' = d, as the reference builds it. */
    public static List<ParameterSpec> specs(String prefix, int dim, int heads, boolean qkvBias) {
        return specs(prefix, dim, dim, heads, qkvBias);
    }

    /** TSSA of tokens x (B, n, d); dropout only when {@code training}. */
    public Output apply(Tensor x, boolean training) {
        // w = x·Wᵀ + b, split into h heads of k coordinates: (B, h, n, k)
        Tensor w = splitHeads(Layers.linear(x, p("qkv.weight"), optional("qkv.bias")), heads);
        Tensor wSq = OpProfiler.time(Kind.ELEMENTWISE, w::square);
        Tensor pi = OpProfiler.time(Kind.ATTENTION, () -> membership(w, wSq));
        Tensor compressed = OpProfiler.time(Kind.ATTENTION, () -> compress(w, wSq, pi, training));
        Tensor out = Layers.linear(Layers.mergeHeads(compressed), p("to_out.0.weight"), p("to_out.0.bias"));
        return new Output(dropout(out, outputDropout, training), w, pi);
    }

    /** Π (B, h, n): Eq. 10 on the projections w and their squares (B, h, n, k). */
    private Tensor membership(Tensor w, Tensor wSq) {
        // w̄ = w / ‖w‖₂ per coordinate over the tokens (F.normalize(w, dim = −2), eps 1e-12)
        Tensor norms = wSq.sum(new long[] {2}, true, new ScalarTypeOptional()).sqrt().clamp_min(new Scalar(NORM_EPS));
        // Π = softmax over the heads of temp_h · Σ_k w̄²: how much of a token's energy lies in each head
        Tensor energy = w.div(norms).square().sum(new long[] {-1}, false, new ScalarTypeOptional());
        return torch.softmax(energy.mul(p("temp")), 1);
    }

    /** −(w ⊙ Π) ⊙ 1/(1 + m) (B, h, n, k): Eq. 11, a gradient step on the variational coding rate. */
    private Tensor compress(Tensor w, Tensor wSq, Tensor pi, boolean training) {
        // m_h = Σ_n (Π_hn / (Σ_n Π_hn + 1e-8)) · w_hn²: each head's Π-weighted second moment per coordinate, (B, h, 1, k)
        Tensor weights = pi.div(pi.sum(new long[] {-1}, true, new ScalarTypeOptional()).add(new Scalar(MEMBERSHIP_EPS)));
        Tensor moment = torch.matmul(weights.unsqueeze(-2), wSq);
        Tensor gain = dropout(moment.add(new Scalar(1.0)).reciprocal(), attentionDropout, training);
        return w.mul(pi.unsqueeze(-1)).mul(gain).neg();
    }

    /**
     * Π (B, h, n) → (B, h, 1, n): per head the token weights Π_h,n / Σ_n Π_h,n with which TSSA
     * averages the head's second moment. They sum to 1 over the tokens, as a row of attention does,
     * so the analysis draws them where it draws the class token's attention row.
     */
    public static Tensor tokenWeights(Tensor pi) {
        return pi.div(pi.sum(new long[] {-1}, true, new ScalarTypeOptional())).unsqueeze(2);
    }

    public int heads() {
        return heads;
    }

    /** {@code qkv.weight} (d', d): the rows of head k project onto its subspace, as MSSA's U_kᵀ do. */
    public Tensor subspaceBases() {
        return p("qkv.weight");
    }

    /** (B, n, h·k) → (B, h, n, k). */
    static Tensor splitHeads(Tensor u, int heads) {
        return u.view(u.size(0), u.size(1), heads, u.size(-1) / heads).transpose(1, 2);
    }

    static Tensor dropout(Tensor x, double rate, boolean training) {
        return training && rate > 0 ? torch.dropout(x, rate, true) : x;
    }

    private Tensor p(String name) {
        return params.get(prefix + name);
    }

    private Tensor optional(String name) {
        return params.has(prefix + name) ? params.get(prefix + name) : null;
    }
}

package org.crate4j.model;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;

/**
 * Multi-head subspace self-attention, CRATE's compression step (Yu et al., "White-Box Transformers
 * via Sparse Rate Reduction", NeurIPS 2023, §2.3). With tokens as the columns of Z and one basis
 * U_k ∈ ℝ^{d×p} per head,
 * <pre>
 *   SSA(Z | U_k)      = (U_kᵀZ) · softmax((U_kᵀZ)ᵀ(U_kᵀZ))
 *   MSSA(Z | U_[K])   = (p / (n·ε²)) · [U_1, …, U_K] · [SSA(Z | U_1); …; SSA(Z | U_K)]
 * </pre>
 * a gradient step on the coding rate of the tokens against the K subspaces. Query, key and value
 * are one tensor, U_kᵀZ. As the reference does, the softmax is scaled by 1/√p. How the heads
 * return to the d token coordinates is the {@link Projection}: the reference replaces
 * [U_1, …, U_K] by a free learned matrix ({@code to_out}); {@link Projection#TIED} keeps the
 * paper's. Every CRATE family (the classifier, CRATE-MAE's encoder and decoder, CRATE-α) computes
 * MSSA here.
 *
 * <p>Its tensors, under a prefix, carry the reference's names: {@code qkv.weight} (h·p, d), whose
 * rows of head k are U_kᵀ; with {@code FREE} also {@code to_out.0.weight} (d, h·p) and
 * {@code to_out.0.bias} (d); with {@code TIED} instead our {@code scale} (1).
 */
public final class Mssa {
    /** How the concatenated heads (…, n, h·p) return to the d token coordinates. */
    public enum Projection {
        /** The concatenation is the output (the reference, when one head spans the whole width). */
        NONE,
        /** A learned Linear {@code to_out} with bias: the reference's CRATE and CRATE-MAE. */
        FREE,
        /** A learned Linear {@code to_out} without bias: CRATE-α. */
        FREE_NO_BIAS,
        /**
         * The paper's [U_1, …, U_K], i.e. the transpose of {@code qkv.weight}, times one learned
         * scalar {@code scale} per layer that stands for p/(n·ε²) together with the step size κ of
         * the compression step (docs/mssa-tied.md says why it is learned rather than fixed).
         */
        TIED
    }

    /**
     * @param out        MSSA(x) (B, n, d), before the residual
     * @param subspaces  U_kᵀx for every head (B, h, n, p)
     * @param attention  softmax(U_kᵀx·(U_kᵀx)ᵀ/√p) per head (B, h, n, n), or null when not asked for
     */
    public record Output(Tensor out, Tensor subspaces, Tensor attention) {}

    /** The tied form's own tensor under the prefix: its presence tells a tied checkpoint from the reference's layouts. */
    public static final String TIED_SCALE = "scale";

    /** The tied form's scale at initialisation: the first steps then have the free form's output scale. */
    static final double TIED_SCALE_INIT = 1.0;

    private final Parameters params;
    private final String prefix;
    private final int heads;
    private final double dropout;
    private final Projection projection;

    /**
     * @param prefix  the block's key prefix, e.g. {@code transformer.layers.0.0.fn.}
     * @param dropout on the attention weights and on the output (training only)
     */
    public Mssa(Parameters params, String prefix, int heads, double dropout, Projection projection) {
        this.params = params;
        this.prefix = prefix;
        this.heads = heads;
        this.dropout = dropout;
        this.projection = projection;
    }

    /** The block's tensors under {@code prefix}, in the reference's order: (h·p, d) subspaces, then the projection's. */
    public static List<ParameterSpec> specs(String prefix, int dim, int heads, int headDim, Projection projection) {
        long inner = (long) heads * headDim;
        List<ParameterSpec> s = new ArrayList<>();
        s.add(ParameterSpec.weight(prefix + "qkv.weight", inner, dim));
        switch (projection) {
            case FREE -> {
                s.add(ParameterSpec.weight(prefix + "to_out.0.weight", dim, inner));
                s.add(ParameterSpec.bias(prefix + "to_out.0.bias", dim, inner));
            }
            case FREE_NO_BIAS -> s.add(ParameterSpec.weight(prefix + "to_out.0.weight", dim, inner));
            case TIED -> s.add(new ParameterSpec(prefix + TIED_SCALE, new long[] {1}, ParameterKind.LAYER_SCALE,
                    Initializer.constant(TIED_SCALE_INIT)));
            case NONE -> { }
        }
        return s;
    }

    /**
     * MSSA of tokens x (B, n, d). With {@code explicit} the attention matrices are formed (and
     * returned, for tracing); otherwise libtorch's fused attention computes the same product,
     * measured faster forward and backward on CPU and keeping less for backward, where
     * {@link FusedAttention} finds it suits (not the CPU autocast backward). Dropout only when
     * {@code training}.
     */
    public Output apply(Tensor x, boolean training, boolean explicit) {
        return apply(x, training, explicit, x.size(1));
    }

    /**
     * MSSA's output for the first {@code outputs} tokens of x only (all tokens still span the
     * subspaces): rows {@code i < outputs} of the full output, for outputs/n of its attention and
     * projection work. The attention returned has those rows, (B, h, outputs, n).
     */
    public Output apply(Tensor x, boolean training, boolean explicit, long outputs) {
        Tensor u = subspaceProjections(x, subspaceBases(), heads);
        Tensor rows = outputs == u.size(2) ? u : u.narrow(2, 0, outputs);
        Tensor attention = null;
        Tensor ssa;
        if (explicit || !FusedAttention.suits(u)) {
            // SSA(Z | U_k) with tokens as rows: A_k·(U_kᵀZ)ᵀ, A_k = softmax over the tokens of U_kᵀz_i · U_kᵀz_j / √p
            attention = dropout(OpProfiler.time(Kind.ATTENTION, () -> subspaceAttention(rows, u)), training);
            Tensor a = attention;
            ssa = OpProfiler.time(Kind.ATTENTION, () -> torch.matmul(a, u));
        } else {
            ssa = OpProfiler.time(Kind.ATTENTION, () -> torch.scaled_dot_product_attention(rows, u, u, new TensorOptional(),
                    training ? dropout : 0.0, false, new DoubleOptional(), false));
        }
        Tensor stacked = Layers.mergeHeads(ssa); // [SSA(Z | U_1); …; SSA(Z | U_K)], tokens as rows: (B, n, h·p)
        Tensor out = switch (projection) {
            case NONE -> stacked;
            case FREE -> dropout(Layers.linear(stacked, p("to_out.0.weight"), p("to_out.0.bias")), training);
            case FREE_NO_BIAS -> dropout(Layers.linear(stacked, p("to_out.0.weight"), null), training);
            // [U_1, …, U_K]·[SSA_1; …; SSA_K] = Σ_k U_k·SSA_k; tokens as rows that is stacked·W, W = qkv.weight = [U_1 … U_K]ᵀ
            case TIED -> dropout(scaled(OpProfiler.time(Kind.GEMM, () -> torch.matmul(stacked, subspaceBases()))), training);
        };
        return new Output(out, u, attention);
    }

    /** {@code qkv.weight} (h·p, d): the rows of head k are U_kᵀ. */
    public Tensor subspaceBases() {
        return p("qkv.weight");
    }

    public int heads() {
        return heads;
    }

    public Projection projection() {
        return projection;
    }

    /** U_kᵀx for every token: x·Wᵀ split into heads, (B, n, d) → (B, h, n, p). */
    static Tensor subspaceProjections(Tensor x, Tensor qkvWeight, int heads) {
        long b = x.size(0), n = x.size(1);
        Tensor u = Layers.linear(x, qkvWeight, null);
        return u.view(b, n, heads, u.size(-1) / heads).transpose(1, 2);
    }

    /** A_k = softmax(U_k·U_kᵀ / √p) for every head: (B, h, n, n). */
    static Tensor subspaceAttention(Tensor u) {
        return subspaceAttention(u, u);
    }

    /** The rows of A_k for the tokens {@code rows} (B, h, m, p) are of: (B, h, m, n). */
    static Tensor subspaceAttention(Tensor rows, Tensor u) {
        double scale = 1.0 / Math.sqrt(u.size(-1));
        return torch.softmax(torch.matmul(rows, u.transpose(-1, -2)).mul_(new Scalar(scale)), -1);
    }

    private Tensor scaled(Tensor x) {
        return OpProfiler.time(Kind.ELEMENTWISE, () -> x.mul(p(TIED_SCALE)));
    }

    private Tensor dropout(Tensor x, boolean training) {
        return training && dropout > 0 ? OpProfiler.time(Kind.ELEMENTWISE, () -> torch.dropout(x, dropout, true)) : x;
    }

    private Tensor p(String name) {
        return params.get(prefix + name);
    }
}

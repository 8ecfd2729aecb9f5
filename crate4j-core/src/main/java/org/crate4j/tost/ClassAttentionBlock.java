package org.crate4j.tost;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.model.Parameters;

/**
 * CaiT's class-attention block as XCiT (and so ToST) computes it: only the class token queries,
 * every token is a key and a value, and the other tokens go through unchanged by attention.
 */
final class ClassAttentionBlock {
    private final Parameters params;
    private final String prefix;
    private final TostConfig config;

    ClassAttentionBlock(Parameters params, int index, TostConfig config) {
        this.params = params;
        this.prefix = TostLayout.classBlock(index);
        this.config = config;
    }

    /**
     * x ← x + γ₁ ⊙ [CA(y)₀, y₁..N] with y = LN₁(x): the attention branch replaces the class token
     * by its attention output and passes the other tokens' normalised values through, so they
     * too are added to the residual. Then x ← LN₂(x) (every token under tokens_norm, else the
     * class token only) and x ← x + [γ₂ ⊙ MLP(x₀), x₁..N]: the other tokens are added to
     * themselves once more. Both quirks are the reference's and change what the next block sees.
     */
    TostTrace.ClassAttention apply(Tensor x, boolean training) {
        Tensor y = TostLayers.layerNorm(x, params, prefix + "norm1.");
        Tensor[] cls = classAttention(y, training);
        Tensor branch = torch.cat(new TensorVector(cls[0], rest(y)), 1);
        x = x.add(branch.mul(params.get(prefix + "gamma1")));
        x = config.tokensNorm() ? TostLayers.layerNorm(x, params, prefix + "norm2.")
                : torch.cat(new TensorVector(TostLayers.layerNorm(x.narrow(1, 0, 1), params, prefix + "norm2."), rest(x)), 1);
        Tensor mlp = TostLayers.mlp(x.narrow(1, 0, 1), params, prefix + "mlp.", config.dropout(), training)
                .mul(params.get(prefix + "gamma2"));
        Tensor out = x.add(torch.cat(new TensorVector(mlp, rest(x)), 1));
        return new TostTrace.ClassAttention(cls[1], out);
    }

    /**
     * The class token's attention over all tokens (B, n, d): a = softmax(q₀·kᵀ/√k) per head,
     * out = proj(a·v). Returns {out (B, 1, d), a (B, h, n)}.
     */
    private Tensor[] classAttention(Tensor y, boolean training) {
        long b = y.size(0), n = y.size(1), c = y.size(2);
        int h = config.heads();
        Tensor qkv = TostLayers.linear(y, params, prefix + "attn.qkv.").view(b, n, 3, h, c / h).permute(2, 0, 3, 1, 4);
        Tensor q = qkv.select(0, 0).narrow(2, 0, 1), k = qkv.select(0, 1), v = qkv.select(0, 2);
        Tensor logits = q.mul(k).sum(new long[] {-1}, false, new ScalarTypeOptional()).mul(new Scalar(1.0 / Math.sqrt(c / h)));
        Tensor a = torch.softmax(logits, -1);
        Tensor mixed = torch.matmul(TostLayers.dropout(a, config.attentionDropout(), training).unsqueeze(2), v)
                .transpose(1, 2).reshape(b, 1, c);
        Tensor out = TostLayers.dropout(TostLayers.linear(mixed, params, prefix + "attn.proj."), config.dropout(), training);
        return new Tensor[] {out, a};
    }

    private static Tensor rest(Tensor x) {
        return x.narrow(1, 1, x.size(1) - 1);
    }
}

package org.crate4j.vit;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.model.Layers;

/**
 * ViT's multi-head self-attention (Vaswani et al., 2017) with timm's fused projection: one Linear
 * with bias gives [Q K V] = x·W_qkvᵀ + b, split into h heads of width k = d / h;
 * A_j = softmax(Q_j·K_jᵀ/√k); the heads' A_j·V_j are concatenated and projected, with bias.
 * Unlike MSSA, queries, keys and values are three different projections.
 */
public record SelfAttention(Tensor qkvWeight, Tensor qkvBias, Tensor projWeight, Tensor projBias, int heads) {

    /** Q, K and V, each (B, h, n, k). */
    public record Heads(Tensor queries, Tensor keys, Tensor values) {}

    /** timm's order: the 3·d outputs are (q, k, v) × (head) × (k). */
    public Heads project(Tensor x) {
        long b = x.size(0), n = x.size(1);
        Tensor qkv = Layers.linear(x, qkvWeight, qkvBias);
        long k = qkv.size(-1) / (3L * heads);
        Tensor split = qkv.view(b, n, 3, heads, k).permute(2, 0, 3, 1, 4); // (3, B, h, n, k)
        return new Heads(split.select(0, 0), split.select(0, 1), split.select(0, 2));
    }

    /** A_j = softmax(Q_j·K_jᵀ / √k) for every head: (B, h, n, n). */
    public static Tensor attention(Tensor queries, Tensor keys) {
        double scale = 1.0 / Math.sqrt(queries.size(-1));
        return torch.softmax(torch.matmul(queries, keys.transpose(-1, -2)).mul_(new Scalar(scale)), -1);
    }

    /** Concatenated heads (B, h, n, k) through the output projection: (B, n, d). */
    public Tensor output(Tensor attended) {
        return Layers.linear(Layers.mergeHeads(attended), projWeight, projBias);
    }
}

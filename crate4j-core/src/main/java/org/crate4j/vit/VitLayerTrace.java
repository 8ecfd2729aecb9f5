package org.crate4j.vit;

import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.LayerTrace;

/**
 * What one ViT block computed. Tensors are detached.
 *
 * @param input     X entering the block (B, n, d)
 * @param queries   Q of LN₁(X), (B, h, n, k)
 * @param keys      K of LN₁(X), (B, h, n, k)
 * @param values    V of LN₁(X), (B, h, n, k)
 * @param attention A_j = softmax(Q_j·K_jᵀ/√k) for every head (B, h, n, n)
 * @param attended  X + Attention(LN₁(X)) (B, n, d)
 * @param hidden    the MLP's hidden activation GELU(W₁·LN₂(·) + b₁) (B, n, hidden)
 * @param output    the block's result (B, n, d)
 */
public record VitLayerTrace(Tensor input, Tensor queries, Tensor keys, Tensor values, Tensor attention,
        Tensor attended, Tensor hidden, Tensor output) {

    /**
     * The trace the shared analysis reads: the keys stand for the subspace features (coding
     * rate, PCA, segmentation use them as they use CRATE's U), and {@code sparse} is the MLP's
     * hidden activation, the counterpart of CRATE-α's ODL code (GELU gives no exact zeros).
     */
    public LayerTrace toLayerTrace() {
        return new LayerTrace(input, keys, attention, attended, hidden);
    }

    Tensor[] tensors() {
        return new Tensor[] {input, queries, keys, values, attention, attended, hidden, output};
    }
}

package org.crate4j.alpha;

import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.LayerTrace;

/**
 * What one CRATE-α layer computed. Tensors are detached.
 *
 * @param input      Z entering the layer (B, n, d)
 * @param subspaces  U = LN₁(Z)·Wᵀ split into heads (B, h, n, k): query, key and value of MSSA
 * @param attention  A_j = softmax(U_j·U_jᵀ/√k) for every head (B, h, n, n)
 * @param compressed Zh = Z + MSSA(LN₁(Z)) (B, n, d)
 * @param firstStep  ODL's first iterate z₁ on LN₂(Zh) (B, n, r·d)
 * @param code       ODL's code z₂ (B, n, r·d): the layer's sparse representation
 * @param output     Zh + D1·z₂, the layer's result (B, n, d)
 */
public record AlphaLayerTrace(Tensor input, Tensor subspaces, Tensor attention, Tensor compressed,
        Tensor firstStep, Tensor code, Tensor output) {

    /**
     * The trace the shared analysis reads: its {@code sparse} is the ODL code z₂, so the sparsity
     * {@code layerwise} reports is that of the code (the layer's output, a residual sum, has no zeros).
     */
    public LayerTrace toLayerTrace() {
        return new LayerTrace(input, subspaces, attention, compressed, code);
    }

    Tensor[] tensors() {
        return new Tensor[] {input, subspaces, attention, compressed, firstStep, code, output};
    }
}

package org.crate4j.model;

import org.bytedeco.pytorch.Tensor;

/**
 * What one CRATE layer computed, for looking inside the white box. Tensors are detached.
 *
 * @param input     Z entering the layer (B, n, d)
 * @param subspaces U = LN₁(Z)·Wᵀ split into heads (B, h, n, k): the "key" features
 * @param attention A_j for every head (B, h, n, n); a family without pairwise attention (ToST) traces
 *                  only the class token's row, (B, h, 1, n), the weights it puts in its place
 * @param compressed Zh = Z + MSSA(LN₁(Z)) (B, n, d)
 * @param sparse    the ISTA output, the layer's result (B, n, d)
 */
public record LayerTrace(Tensor input, Tensor subspaces, Tensor attention, Tensor compressed, Tensor sparse) {}

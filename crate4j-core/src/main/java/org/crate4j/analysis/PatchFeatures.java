package org.crate4j.analysis;

import org.bytedeco.pytorch.Tensor;

/** Per-patch features read off a layer trace. */
public final class PatchFeatures {
    private PatchFeatures() {}

    /**
     * The "key" features of the segmentation paper: each patch token's subspace projections with the
     * heads concatenated, U (B, h, n, k) → (B, N, h·k), the class token (token 0) dropped.
     */
    public static Tensor concatenatedHeads(Tensor subspaces) {
        long b = subspaces.size(0), h = subspaces.size(1), n = subspaces.size(2), k = subspaces.size(3);
        return subspaces.narrow(2, 1, n - 1).transpose(1, 2).reshape(b, n - 1, h * k);
    }
}

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
        return concatenatedHeads(subspaces, subspaces.size(2) - 1);
    }

    /**
     * The same for the last {@code patches} tokens, whatever comes before them (the class token, or
     * nothing in a family whose layers carry none, such as ToST's).
     */
    public static Tensor concatenatedHeads(Tensor subspaces, long patches) {
        long b = subspaces.size(0), h = subspaces.size(1), n = subspaces.size(2), k = subspaces.size(3);
        return subspaces.narrow(2, n - patches, patches).transpose(1, 2).reshape(b, patches, h * k);
    }
}

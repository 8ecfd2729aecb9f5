package org.crate4j.model;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;

/**
 * The functional pieces the model families share (the CRATE blocks are {@link Mssa} and {@link Ista}).
 * Each is marked with its kind for {@link OpProfiler}.
 */
public final class Layers {
    static final double LN_EPS = 1e-5;

    private Layers() {}

    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        return OpProfiler.time(Kind.LAYER_NORM,
                () -> torch.layer_norm(x, new long[] {x.size(-1)}, new TensorOptional(weight), new TensorOptional(bias), eps, false));
    }

    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return OpProfiler.time(Kind.GEMM, () -> bias == null ? torch.linear(x, weight) : torch.linear(x, weight, new TensorOptional(bias)));
    }

    /**
     * Cuts (B, C, H, W) images into P×P patches in row-major patch order, each flattened as
     * (row in patch, column in patch, channel): (B, N, P·P·C). Pretrained weights depend on it.
     */
    public static Tensor patchify(Tensor images, int patch) {
        long b = images.size(0), c = images.size(1), h = images.size(2) / patch, w = images.size(3) / patch;
        return OpProfiler.time(Kind.COPY, () -> images.view(b, c, h, patch, w, patch)
                .permute(0, 2, 4, 3, 5, 1)
                .reshape(b, h * w, (long) patch * patch * c));
    }

    /**
     * Overlapping patches: for each P×P patch of the grid, the K×K window centred on it, taken
     * from the image zero-padded by (K − P)/2 on every side and flattened in {@link #patchify}'s
     * order (row in window, column in window, channel): (B, N, K·K·C). The grid is the same as
     * {@code patchify}'s; K = P gives exactly {@code patchify}.
     */
    public static Tensor patchWindows(Tensor images, int patch, int window) {
        if (window == patch) {
            return patchify(images, patch);
        }
        long pad = (window - patch) / 2;
        return OpProfiler.time(Kind.COPY, () -> {
            Tensor padded = torch.constant_pad_nd(images, new long[] {pad, pad, pad, pad}, new Scalar(0.0));
            Tensor w = padded.unfold(2, window, patch).unfold(3, window, patch); // (B, C, gh, gw, K, K)
            return w.permute(0, 2, 3, 4, 5, 1).reshape(images.size(0), w.size(2) * w.size(3), (long) window * window * images.size(1));
        });
    }

    /**
     * The sparse code of each normalised patch window against N atoms: {@code ReLU(x·Wᵀ + b)},
     * (B, n, C·K²) → (B, n, N). It is one ISTA step from a zero code, {@code ReLU(η·Dᵀx − ηλ)}, with
     * ηD learned as W and the threshold ηλ learned per atom as −b.
     */
    public static Tensor patchCode(Tensor windows, Tensor atoms, Tensor bias) {
        return relu(linear(windows, atoms, bias));
    }

    /** Concatenates heads back: (B, h, n, k) → (B, n, h·k). */
    public static Tensor mergeHeads(Tensor o) {
        return OpProfiler.time(Kind.COPY, () -> o.transpose(1, 2).reshape(o.size(0), o.size(2), o.size(1) * o.size(3)));
    }

    public static Tensor relu(Tensor x) {
        return OpProfiler.time(Kind.ELEMENTWISE, () -> torch.relu(x));
    }

    /** a + b, the residual connections and embeddings. */
    public static Tensor add(Tensor a, Tensor b) {
        return OpProfiler.time(Kind.ELEMENTWISE, () -> a.add(b));
    }
}

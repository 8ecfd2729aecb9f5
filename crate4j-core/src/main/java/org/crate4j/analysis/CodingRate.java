package org.crate4j.analysis;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * The coding rate of a layer's subspace projections (docs/architecture.md §4, the reference's
 * {@code vis_utils/coding_rate.py}): how much volume the tokens span in each head's subspace. It
 * falls with depth as the layers compress the tokens.
 */
public final class CodingRate {
    /** The quantisation precision ε of the reference. */
    public static final double EPSILON = 0.01;

    private CodingRate() {}

    /** Per-image coding rate with ε = 0.01; see {@link #perImage(Tensor, double)}. */
    public static double[] perImage(Tensor subspaces) {
        return perImage(subspaces, EPSILON);
    }

    /**
     * For U (B, h, n, k): scale each token's k-vector to unit length (X), then per image and head
     * {@code R = ½·logdet(I_n + (k/(n·ε))·X·Xᵀ)}, summed over heads. Computed as
     * {@code ½·logdet(I_k + (k/(n·ε))·Xᵀ·X)} (Sylvester's determinant identity): a k×k determinant
     * instead of n×n. All n tokens count, the class token included, as in the reference.
     */
    public static double[] perImage(Tensor subspaces, double epsilon) {
        if (subspaces.dim() != 4) {
            throw new IllegalArgumentException("coding rate needs U of shape (B, h, n, k), got rank " + subspaces.dim());
        }
        long n = subspaces.size(2), k = subspaces.size(3);
        Tensor u = Tensors.asDouble(subspaces);
        // clamped like F.normalize, so an all-zero token gives a zero row instead of NaN
        Tensor norms = torch.sqrt(u.mul(u).sum(new long[] {-1}, true, new ScalarTypeOptional())).clamp_min(new Scalar(1e-12));
        Tensor x = u.div(norms);
        Tensor gram = torch.matmul(x.transpose(-1, -2), x);                              // (B, h, k, k)
        Tensor eye = Torch.eye(Device.CPU, torch.ScalarType.Double, k);                  // u is on the CPU (asDouble)
        Tensor logdet = torch.logdet(eye.add(gram.mul(new Scalar(k / (n * epsilon)))));  // (B, h)
        return Tensors.toDoubles(logdet.sum(new long[] {1}, false, new ScalarTypeOptional()).mul(new Scalar(0.5)));
    }

    /** Mean and standard deviation over the images of a batch. */
    public static MeanStd measure(Tensor subspaces) {
        return MeanStd.of(perImage(subspaces));
    }
}

package org.crate4j.analysis;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * How sparse a layer's ISTA output is (docs/architecture.md §4): the fraction of exactly-zero entries per image
 * over tokens × dims. The ReLU in ISTA produces exact zeros, so no tolerance is used.
 */
public final class Sparsity {
    private Sparsity() {}

    /** Fraction of zero entries of each image of Z (B, n, d) (or any (B, ...) tensor). */
    public static double[] zeroFraction(Tensor z) {
        Tensor zeros = z.detach().eq(new Scalar(0.0)).reshape(z.size(0), -1).to(torch.ScalarType.Double);
        return Tensors.toDoubles(zeros.mean(new long[] {1}, false, new ScalarTypeOptional()));
    }

    /** ‖Z‖₀ / size per image: what the paper plots, falling with depth. */
    public static double[] nonZeroFraction(Tensor z) {
        double[] f = zeroFraction(z);
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 - f[i];
        }
        return f;
    }

    public static MeanStd measureZeros(Tensor z) {
        return MeanStd.of(zeroFraction(z));
    }

    public static MeanStd measureNonZeros(Tensor z) {
        return MeanStd.of(nonZeroFraction(z));
    }
}

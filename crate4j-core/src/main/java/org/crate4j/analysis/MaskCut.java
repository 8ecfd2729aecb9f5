package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * MaskCut (CutLER, as used in the segmentation paper; docs/architecture.md §4): repeated normalised cuts of the
 * patch-affinity graph, one object per cut.
 *
 * <p>Per cut: affinity {@code W_ij = 1} where the cosine similarity of patches i and j exceeds τ,
 * else ε = 1e-5; the second-smallest generalised eigenvector x of {@code (D − W)x = λDx}; the
 * bipartition {@code x > mean(x)}. The object is the side holding the patch with the largest |x|
 * (the seed), except that a side covering three or four grid corners is taken as background
 * (CutLER's object-centric prior, which also settles eigenvector sign flips); the object is the
 * seed's 4-connected region of that side (CutLER keeps the seed's component too). Its patches are
 * then removed — all their affinities set to ε, as CutLER does by zeroing their features — and the
 * next cut runs on what is left.
 */
public final class MaskCut {
    public static final double TAU = 0.15;
    public static final double EPSILON = 1e-5;
    public static final int OBJECTS = 3;

    private MaskCut() {}

    /**
     * One discovered object on the patch grid.
     *
     * @param patches the object's patches (row-major grid)
     * @param seed    the patch with the largest |x| on the object's side
     * @param score   1 − λ of the cut: 1 when the object is disconnected from the rest of the graph,
     *                near 0 when the cut is arbitrary
     */
    public record Found(boolean[] patches, int seed, double score) {
        public int area() {
            return PatchGrid.count(patches);
        }
    }

    /** Up to {@code objects} objects from patch features (N, D) on a (gh, gw) grid. */
    public static List<Found> discover(Tensor features, int gridHeight, int gridWidth, int objects, double tau) {
        int n = (int) features.size(0);
        if (n != gridHeight * gridWidth) {
            throw new IllegalArgumentException(n + " patch features do not fill a " + gridHeight + "x" + gridWidth + " grid");
        }
        List<Found> found = new ArrayList<>();
        boolean[] removed = new boolean[n];
        try (PointerScope scope = new PointerScope()) {
            Tensor similarity = cosineSimilarity(features);
            for (int t = 0; t < objects && n >= 2 && PatchGrid.count(removed) < n; t++) {
                double[] pair = new double[1];
                double[] x = secondEigenvector(affinity(similarity, removed, tau), pair);
                Found f = object(x, removed, gridHeight, gridWidth, 1.0 - pair[0]);
                if (f == null) {
                    break;
                }
                found.add(f);
                for (int i = 0; i < n; i++) {
                    removed[i] |= f.patches()[i];
                }
            }
        }
        return found;
    }

    /** S = F̂·F̂ᵀ with rows of F scaled to unit length, in fp64. */
    static Tensor cosineSimilarity(Tensor features) {
        Tensor f = Tensors.asDouble(features);
        Tensor norms = torch.sqrt(f.mul(f).sum(new long[] {1}, true, new ScalarTypeOptional())).clamp_min(new Scalar(1e-12));
        Tensor unit = f.div(norms);
        return torch.matmul(unit, unit.t());
    }

    /** W: 1 where S > τ, else ε; every affinity of a removed patch is ε. */
    static Tensor affinity(Tensor similarity, boolean[] removed, double tau) {
        long n = similarity.size(0);
        Tensor w = similarity.gt(new Scalar(tau)).to(torch.ScalarType.Double).mul(new Scalar(1.0 - EPSILON)).add(new Scalar(EPSILON));
        double[] keep = new double[(int) n];
        for (int i = 0; i < n; i++) {
            keep[i] = removed[i] ? 0 : 1;
        }
        Tensor k = Tensors.fromDoubles(keep, n, 1);
        Tensor both = torch.matmul(k, k.t()); // 1 where neither patch was removed
        return w.mul(both).add(both.neg().add(new Scalar(1.0)).mul(new Scalar(EPSILON)));
    }

    /**
     * The second-smallest generalised eigenvector of (D − W)x = λDx, through the symmetric form:
     * with y = D^{1/2}x it is D^{-1/2}WD^{-1/2}·y = (1 − λ)·y, so we take the eigenvector of the
     * second-largest eigenvalue of the normalised affinity (eigh sorts ascending) and map it back.
     * λ is returned in {@code lambda[0]}.
     */
    static double[] secondEigenvector(Tensor w, double[] lambda) {
        long n = w.size(0);
        Tensor dInvSqrt = w.sum(new long[] {1}, false, new ScalarTypeOptional()).rsqrt();
        Tensor normalised = w.mul(dInvSqrt.reshape(n, 1)).mul(dInvSqrt.reshape(1, n));
        T_TensorTensor_T eig = torch.linalg_eigh(normalised.add(normalised.t()).mul(new Scalar(0.5)));
        double[] values = Tensors.toDoubles(eig.get0());
        lambda[0] = 1.0 - values[(int) n - 2];
        return Tensors.toDoubles(eig.get1().select(1, n - 2).mul(dInvSqrt));
    }

    /** Bipartition at the mean, pick the object side, keep the seed's connected region. */
    static Found object(double[] x, boolean[] removed, int gh, int gw, double score) {
        int n = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v / n;
        }
        boolean[] side = new boolean[n];
        for (int i = 0; i < n; i++) {
            side[i] = x[i] > mean;
        }
        boolean reverse = PatchGrid.corners(side, gh, gw) >= 3;
        if (!reverse) {
            int seed = largestMagnitude(x, removed, null);
            reverse = seed >= 0 && !side[seed];
        }
        if (reverse) {
            for (int i = 0; i < n; i++) {
                side[i] = !side[i];
            }
        }
        for (int i = 0; i < n; i++) {
            side[i] &= !removed[i];
        }
        int seed = largestMagnitude(x, removed, side);
        if (seed < 0) {
            return null;
        }
        return new Found(PatchGrid.component(side, gh, gw, seed), seed, Math.max(0.0, Math.min(1.0, score)));
    }

    /** The remaining patch (inside {@code within} when given) with the largest |x|, or -1. */
    private static int largestMagnitude(double[] x, boolean[] removed, boolean[] within) {
        int best = -1;
        for (int i = 0; i < x.length; i++) {
            if (!removed[i] && (within == null || within[i]) && (best < 0 || Math.abs(x[i]) > Math.abs(x[best]))) {
                best = i;
            }
        }
        return best;
    }
}

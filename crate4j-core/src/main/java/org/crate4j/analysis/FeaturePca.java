package org.crate4j.analysis;

import java.util.function.IntFunction;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Scopes;

/**
 * PCA of the "key" features of a layer (architecture §4, after the reference's {@code pca_visualization.py}):
 * one PCA over all patch tokens of all given images. The first component, thresholded, separates
 * foreground from background; components 2–4 become RGB.
 *
 * <p>Sign convention for the first component: it is chosen so that the foreground side (scaled value
 * above ½) touches the image border less — a smaller fraction of its patches lie on the grid's
 * border, pooled over all images — because objects sit away from the borders more often than
 * background does. On a tie the side with fewer patches is the foreground. One sign for all images
 * keeps "foreground" meaning the same thing in each.
 */
public final class FeaturePca {
    public static final int COMPONENTS = 4;

    private FeaturePca() {}

    /**
     * @param explainedVariance      variance along each component (divisor M − 1, as sklearn)
     * @param explainedVarianceRatio each component's share of the total variance
     * @param mean                   the feature mean that was subtracted (D)
     * @param axes                   the principal axes, (components, D) row-major
     * @param projections            every patch's coordinates, (images·N, components) row-major
     * @param foreground             every patch's side of the thresholded first component
     */
    public record Result(int images, int gridHeight, int gridWidth, int components, double[] explainedVariance,
            double[] explainedVarianceRatio, double[] mean, double[] axes, float[] projections, boolean[] foreground) {

        public int patches() {
            return gridHeight * gridWidth;
        }

        /** Component c of one image on the patch grid. */
        public float[] component(int image, int c) {
            float[] out = new float[patches()];
            for (int i = 0; i < out.length; i++) {
                out[i] = projections[(image * patches() + i) * components + c];
            }
            return out;
        }

        /** Component c of one image min-max scaled to [0, 1] over that image's patches. */
        public float[] scaled(int image, int c) {
            return minMax(component(image, c));
        }

        public boolean[] foreground(int image) {
            return java.util.Arrays.copyOfRange(foreground, image * patches(), (image + 1) * patches());
        }

        /** Components 2–4, each min-max scaled over the image, as (gh, gw, 3) RGB in [0, 1]. */
        public float[] rgb(int image) {
            return FeaturePca.rgb(c -> scaled(image, c), components, patches());
        }
    }

    /** Scaled components 2–4 interleaved as (patches, 3) RGB; black where a component is missing. */
    static float[] rgb(IntFunction<float[]> scaled, int components, int patches) {
        float[] out = new float[patches * 3];
        for (int ch = 0; ch < 3 && ch + 1 < components; ch++) {
            float[] s = scaled.apply(ch + 1);
            for (int i = 0; i < s.length; i++) {
                out[i * 3 + ch] = s[i];
            }
        }
        return out;
    }

    /** The default layer: the last one (index depth − 1; 11 for the 12-layer presets). */
    public static int lastLayer(int depth) {
        return depth - 1;
    }

    /** Patch features (B, N, h·k) of the images at a layer, detached, in the caller's scope. */
    public static Tensor keyFeatures(TracedEncoder encoder, Tensor images, int layer) {
        encoder.checkLayer(layer);
        return Scopes.keep(() -> {
            try (NoGradGuard noGrad = new NoGradGuard()) {
                long patches = (images.size(2) / encoder.patchSize()) * (images.size(3) / encoder.patchSize());
                return PatchFeatures.concatenatedHeads(encoder.trace(images).get(layer).subspaces(), patches).contiguous();
            }
        });
    }

    /** PCA of features (B, N, D) pooled over all B·N patches. */
    public static Result fit(Tensor features, int gridHeight, int gridWidth, int components) {
        int images = (int) features.size(0), n = (int) features.size(1), d = (int) features.size(2);
        if (n != gridHeight * gridWidth) {
            throw new IllegalArgumentException(n + " patches do not fill a " + gridHeight + "x" + gridWidth + " grid");
        }
        int m = images * n;
        Tensor x = Tensors.asDouble(features).reshape(m, d);
        Tensor mean = x.mean(new long[] {0}, true, new ScalarTypeOptional());
        T_TensorTensorTensor_T svd = torch.linalg_svd(x.sub(mean), false, new StringViewOptional());
        double[] u = Tensors.toDoubles(svd.get0()), s = Tensors.toDoubles(svd.get1()), vh = Tensors.toDoubles(svd.get2());
        int rank = s.length, c = Math.min(components, rank);
        double total = 0;
        for (double v : s) {
            total += v * v;
        }
        double[] variance = new double[c], ratio = new double[c], axes = new double[c * d];
        float[] projections = new float[m * c];
        for (int j = 0; j < c; j++) {
            variance[j] = s[j] * s[j] / Math.max(1, m - 1);
            ratio[j] = total > 0 ? s[j] * s[j] / total : 0;
            double sign = largestEntrySign(vh, j * d, d); // SVD signs are arbitrary: fix them like sklearn
            for (int k = 0; k < d; k++) {
                axes[j * d + k] = sign * vh[j * d + k];
            }
            for (int i = 0; i < m; i++) {
                projections[i * c + j] = (float) (sign * u[i * rank + j] * s[j]);
            }
        }
        Result r = new Result(images, gridHeight, gridWidth, c, variance, ratio, Tensors.toDoubles(mean), axes, projections, new boolean[m]);
        boolean[] fg = threshold(r);
        if (c > 0 && preferFlipped(fg, images, gridHeight, gridWidth)) {
            for (int i = 0; i < m; i++) {
                projections[i * c] = -projections[i * c];
            }
            for (int k = 0; k < d; k++) {
                axes[k] = -axes[k];
            }
            fg = threshold(r);
        }
        return new Result(images, gridHeight, gridWidth, c, variance, ratio, r.mean(), axes, projections, fg);
    }

    /** Per image, the first component min-max scaled and thresholded at ½ (the reference's th = 0.5). */
    static boolean[] threshold(Result r) {
        boolean[] fg = new boolean[r.images() * r.patches()];
        if (r.components() == 0) {
            return fg;
        }
        for (int b = 0; b < r.images(); b++) {
            float[] s = r.scaled(b, 0);
            for (int i = 0; i < s.length; i++) {
                fg[b * r.patches() + i] = s[i] > 0.5f;
            }
        }
        return fg;
    }

    /** True when the complement of {@code fg} fits the foreground convention better. */
    static boolean preferFlipped(boolean[] fg, int images, int gh, int gw) {
        int inside = 0, insideBorder = 0, outside = 0, outsideBorder = 0;
        for (int i = 0; i < fg.length; i++) {
            boolean border = PatchGrid.onBorder(i % (gh * gw), gh, gw);
            if (fg[i]) {
                inside++;
                insideBorder += border ? 1 : 0;
            } else {
                outside++;
                outsideBorder += border ? 1 : 0;
            }
        }
        if (inside == 0 || outside == 0) {
            return inside > outside;
        }
        double in = insideBorder / (double) inside, out = outsideBorder / (double) outside;
        if (Math.abs(in - out) > 1e-12) {
            return out < in;
        }
        return outside < inside;
    }

    private static double largestEntrySign(double[] v, int from, int length) {
        int best = from;
        for (int k = from; k < from + length; k++) {
            if (Math.abs(v[k]) > Math.abs(v[best])) {
                best = k;
            }
        }
        return v[best] < 0 ? -1 : 1;
    }

    static float[] minMax(float[] v) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float f : v) {
            lo = Math.min(lo, f);
            hi = Math.max(hi, f);
        }
        float[] out = new float[v.length];
        float range = hi - lo;
        for (int i = 0; i < v.length; i++) {
            out[i] = range > 0 ? (v[i] - lo) / range : 0f;
        }
        return out;
    }
}

package org.crate4j.alpha;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.crate4j.CrateException;
import org.crate4j.model.ClassifierShape;
import org.crate4j.model.Mssa;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.ShapeBuilder;

/**
 * The CRATE-α classifier's architecture (Yang et al., "Scaling White-Box Transformers for
 * Vision", NeurIPS 2024). Immutable; build one with {@link #builder()} or change one with
 * {@code config.with(b -> b.dim(96))}.
 *
 * @param patchSize   P: the stem is a P×P convolution at stride P
 * @param channels    input channels (the reference's stem is fixed to 3; any count works here)
 * @param dim         d, the token width
 * @param depth       L, the number of MSSA + ODL layers
 * @param heads       h, the number of subspaces in MSSA
 * @param headDim     k, the width of each subspace (64 in the published models)
 * @param overcomplete r: each ODL dictionary is d × r·d (4 in the reference)
 * @param eta         the ODL step size η (0.1 in the reference)
 * @param lambda      the ODL sparsity threshold λ (0.1 in the reference)
 * @param dropout     dropout on the attention weights and on MSSA's output, as in the reference
 */
public record AlphaConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses,
        int dim, int depth, int heads, int headDim, int overcomplete, double eta, double lambda, double dropout)
        implements ClassifierShape {

    /** The eps of every pre-norm LayerNorm in the reference; the head's LayerNorm keeps torch's 1e-5. */
    public static final double LN_EPS = 1e-6;
    public static final double HEAD_LN_EPS = 1e-5;

    public AlphaConfig {
        require(imageHeight > 0 && imageWidth > 0, "image size must be positive, got " + imageHeight + "x" + imageWidth);
        require(patchSize > 0, "patch size must be positive, got " + patchSize);
        require(imageHeight % patchSize == 0 && imageWidth % patchSize == 0,
                "image " + imageHeight + "x" + imageWidth + " is not divisible by patch " + patchSize);
        require(channels > 0 && numClasses > 0 && dim > 0 && depth > 0 && heads > 0 && headDim > 0 && overcomplete > 0,
                "channels, classes, width, depth, heads, head width and overcompleteness must be positive");
        require(eta > 0 && lambda >= 0, "ODL needs η > 0 and λ ≥ 0, got η " + eta + ", λ " + lambda);
        require(dropout >= 0 && dropout < 1, "dropout must be in [0, 1), got " + dropout);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().image(imageHeight, imageWidth).patchSize(patchSize).channels(channels).classes(numClasses)
                .dim(dim).depth(depth).heads(heads).headDim(headDim).overcomplete(overcomplete).eta(eta).lambda(lambda)
                .dropout(dropout);
    }

    public AlphaConfig with(Consumer<Builder> change) {
        Builder b = toBuilder();
        change.accept(b);
        return b.build();
    }

    public int gridHeight() { return imageHeight / patchSize; }
    public int gridWidth() { return imageWidth / patchSize; }
    public int numPatches() { return gridHeight() * gridWidth(); }
    /** Patches plus the class token. */
    public int numTokens() { return numPatches() + 1; }
    public int innerDim() { return heads * headDim; }
    /** The number of dictionary atoms r·d, the width of the ODL code. */
    public int codeDim() { return overcomplete * dim; }
    /** The reference skips MSSA's output projection when one head spans the whole width. */
    public boolean projectsOut() { return !(heads == 1 && headDim == dim); }
    /** MSSA's output: a bias-free {@code to_out}, or none for one full-width head. */
    public Mssa.Projection mssaProjection() { return projectsOut() ? Mssa.Projection.FREE_NO_BIAS : Mssa.Projection.NONE; }

    /** Every parameter in the reference's state-dict order, with its kind. */
    public List<ParameterSpec> parameterSpecs() {
        List<ParameterSpec> s = new ArrayList<>();
        s.add(ParameterSpec.embedding(AlphaKeys.POSITIONS, 1, numTokens(), dim));
        s.add(ParameterSpec.token(AlphaKeys.CLASS_TOKEN, 1, 1, dim));
        s.add(ParameterSpec.convWeight(AlphaKeys.STEM_WEIGHT, dim, channels, patchSize));
        s.add(ParameterSpec.convBias(AlphaKeys.STEM_BIAS, dim, (long) channels * patchSize * patchSize));
        for (int i = 0; i < depth; i++) {
            s.addAll(ParameterSpec.layerNorm(AlphaKeys.mssaNorm(i), dim));
            s.addAll(Mssa.specs(AlphaKeys.mssa(i), dim, heads, headDim, mssaProjection()));
            s.addAll(ParameterSpec.layerNorm(AlphaKeys.odlNorm(i), dim));
            s.add(ParameterSpec.dictionary(AlphaKeys.dictionary(i), dim, codeDim()));
            s.add(ParameterSpec.dictionary(AlphaKeys.synthesis(i), dim, codeDim()));
        }
        s.addAll(ParameterSpec.layerNorm(AlphaKeys.HEAD_NORM, dim));
        s.add(ParameterSpec.weight(AlphaKeys.HEAD_WEIGHT, numClasses, dim));
        s.add(ParameterSpec.bias(AlphaKeys.HEAD_BIAS, numClasses, dim));
        return s;
    }

    /**
     * Forward FLOPs per image (2 per multiply-add; GEMMs, the stem and attention products only).
     * ODL counts its four products per token: Dᵀx, D·z₁, Dᵀ(D·z₁ − x) and D1·z₂.
     */
    public long flopsPerImage() {
        long n = numTokens();
        long stem = 2L * numPatches() * channels * patchSize * patchSize * dim;
        long layer = 2L * n * dim * innerDim()                           // U = x·Wᵀ
                + 2L * 2 * heads * n * n * headDim                       // U·Uᵀ and A·U
                + (projectsOut() ? 2L * n * innerDim() * dim : 0)        // output projection
                + 4 * 2L * n * dim * codeDim();                          // ODL
        return stem + depth * layer + 2L * dim * numClasses;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new CrateException(message);
        }
    }

    /** Defaults are CRATE-α-B/16 on ImageNet-1k; {@code headDim} 0 means d / h. */
    public static final class Builder extends ShapeBuilder<Builder> {
        private int headDim, overcomplete = 4;
        private double eta = 0.1, lambda = 0.1, dropout;

        private Builder() {}

        public Builder headDim(int k) { headDim = k; return this; }
        public Builder overcomplete(int r) { overcomplete = r; return this; }
        public Builder eta(double v) { eta = v; return this; }
        public Builder lambda(double v) { lambda = v; return this; }
        public Builder dropout(double v) { dropout = v; return this; }

        public AlphaConfig build() {
            int k = headDim;
            if (k == 0) {
                if (heads <= 0 || dim % heads != 0) {
                    throw new CrateException("heads " + heads + " do not divide the width " + dim
                            + ": choose heads among the divisors of " + dim + " or give the head width");
                }
                k = dim / heads;
            }
            return new AlphaConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, k,
                    overcomplete, eta, lambda, dropout);
        }
    }
}

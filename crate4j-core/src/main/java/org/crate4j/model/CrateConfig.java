package org.crate4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.crate4j.CrateException;

/**
 * The CRATE classifier's architecture (docs/architecture.md §1). Immutable; derived sizes are methods.
 *
 * @param imageHeight input height in pixels (need not equal the width)
 * @param patchSize   P: images are cut into P×P patches
 * @param dim         d, the token width
 * @param depth       L, the number of MSSA + ISTA layers
 * @param heads       h, the number of subspaces in MSSA
 * @param headDim     k, the width of each subspace (d / h in every preset)
 * @param eta         ISTA step size η
 * @param lambda      ISTA sparsity threshold λ
 * @param dropout     dropout on attention weights and the MSSA output
 * @param embDropout  dropout on the embedded tokens
 * @param patchWindow K ≥ P: each token embeds the K×K window centred on its P×P patch (stride P,
 *                    zero padding (K − P)/2 around the image), so neighbouring tokens overlap by
 *                    K − P pixels. K = P is the reference's patch embedding; 0 reads as P (configs
 *                    written before the window existed).
 * @param patchCode   N ≥ 0: when positive, each normalised window is first coded against N learned
 *                    atoms, {@code a = ReLU(W·x + b)} (one ISTA step from zero with a learned
 *                    threshold per atom: a sparse, overcomplete code of the window), and the token is
 *                    embedded from that code instead of the pixels. 0 (the reference, and configs
 *                    written before it existed) embeds the pixels directly.
 * @param attention   the compression step: MSSA (the reference; also what configs written before
 *                    the field existed read as) or TSSA, ToST's linear-time operator, under the same
 *                    keys {@code transformer.layers.i.0.fn.*} ({@code temp}, {@code qkv},
 *                    {@code to_out.0}): a layer is then Z + TSSA(LN₁ Z) followed by ISTA.
 * @param mssa        how MSSA returns its heads to the tokens: {@code FREE} (a learned {@code to_out},
 *                    the reference's) or {@code TIED} (the paper's [U_1, …, U_K] times a learned
 *                    scale, see {@link Mssa}); null (configs written before it existed) reads as FREE.
 */
public record CrateConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses,
        int dim, int depth, int heads, int headDim, Pooling pool, double eta, double lambda,
        double dropout, double embDropout, int patchWindow, int patchCode, int headHidden, Attention attention, MssaOutput mssa)
        implements ClassifierShape {

    public CrateConfig {
        require(imageHeight > 0 && imageWidth > 0, "image size must be positive, got " + imageHeight + "x" + imageWidth);
        require(patchSize > 0, "patch size must be positive, got " + patchSize);
        require(imageHeight % patchSize == 0 && imageWidth % patchSize == 0,
                "image " + imageHeight + "x" + imageWidth + " is not divisible by patch " + patchSize);
        require(channels > 0 && numClasses > 0 && dim > 0 && depth > 0 && heads > 0 && headDim > 0,
                "channels, classes, dim, depth, heads and head width must be positive");
        require(dropout >= 0 && dropout < 1 && embDropout >= 0 && embDropout < 1, "dropout must be in [0, 1)");
        if (patchWindow == 0) {
            patchWindow = patchSize;
        }
        if (mssa == null) {
            mssa = MssaOutput.FREE;
        }
        if (attention == null) {
            attention = Attention.MSSA;
        }
        require(!(attention == Attention.TSSA && mssa == MssaOutput.TIED),
                "the tied output projection is MSSA's (--mssa tied): TSSA keeps its own to_out");
        require(headHidden >= 0, "head width must be 0 (one stage) or positive, got " + headHidden);
        require(patchCode >= 0, "patch code size must be 0 (off) or positive, got " + patchCode);
        require(patchWindow >= patchSize && (patchWindow - patchSize) % 2 == 0, "patch window " + patchWindow
                + " must be the patch size " + patchSize + " plus an even margin (" + patchSize + ", " + (patchSize + 2) + ", "
                + (patchSize + 4) + ", …)");
    }

    /** The usual CRATE shape: square images, k = d / h, class-token pooling, η = λ = 0.1. */
    public static CrateConfig of(int imageSize, int patchSize, int channels, int numClasses, int dim, int depth, int heads) {
        return builder().imageSize(imageSize).patchSize(patchSize).channels(channels).classes(numClasses).dim(dim).depth(depth)
                .heads(heads).build();
    }

    public int gridHeight() { return imageHeight / patchSize; }
    public int gridWidth() { return imageWidth / patchSize; }
    public int numPatches() { return gridHeight() * gridWidth(); }
    /** Patches plus the class token. */
    public int numTokens() { return numPatches() + 1; }
    /** The length of one token's pixel vector before embedding: C·K² (C·P² without overlap). */
    public int patchDim() { return channels * patchWindow * patchWindow; }
    /** Zero padding on each side of the image when windows overlap: (K − P) / 2. */
    public int patchPadding() { return (patchWindow - patchSize) / 2; }
    public int innerDim() { return heads * headDim; }
    /**
     * The reference skips MSSA's output projection when one head spans the whole width; TSSA and
     * the tied MSSA always project.
     */
    public boolean projectsOut() { return attention == Attention.TSSA || mssa == MssaOutput.TIED || !(heads == 1 && headDim == dim); }
    /** How MSSA's heads return to the tokens: tied, a free {@code to_out}, or (one full-width head) none. */
    public Mssa.Projection mssaProjection() {
        return mssa == MssaOutput.TIED ? Mssa.Projection.TIED : projectsOut() ? Mssa.Projection.FREE : Mssa.Projection.NONE;
    }
    /** A second Linear {@code head} follows {@code mlp_head} (the segmentation demo's layout). */
    public boolean twoStageHead() { return headHidden > 0; }
    /** The width of {@code mlp_head}'s Linear output: the classes, or the first stage of a two-stage head. */
    public int mlpHeadOut() { return twoStageHead() ? headHidden : numClasses; }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().image(imageHeight, imageWidth).patchSize(patchSize).channels(channels).classes(numClasses)
                .dim(dim).depth(depth).heads(heads).headDim(headDim).pool(pool).eta(eta).lambda(lambda).dropout(dropout)
                .embDropout(embDropout).patchWindow(patchWindow).patchCode(patchCode).headHidden(headHidden)
                .attention(attention).mssa(mssa);
    }

    /** This config with the builder's changes: {@code config.with(b -> b.dim(96).heads(4))}. */
    public CrateConfig with(Consumer<Builder> change) {
        Builder b = toBuilder();
        change.accept(b);
        return b.build();
    }

    public CrateConfig withImageSize(int height, int width) { return with(b -> b.image(height, width)); }
    public CrateConfig withClasses(int classes) { return with(b -> b.classes(classes)); }
    public CrateConfig withChannels(int c) { return with(b -> b.channels(c)); }
    public CrateConfig withPool(Pooling p) { return with(b -> b.pool(p)); }
    public CrateConfig withSparsity(double newEta, double newLambda) { return with(b -> b.eta(newEta).lambda(newLambda)); }
    public CrateConfig withDropout(double drop, double embDrop) { return with(b -> b.dropout(drop).embDropout(embDrop)); }
    public CrateConfig withPatchWindow(int k) { return with(b -> b.patchWindow(k)); }
    public CrateConfig withPatchCode(int atoms) { return with(b -> b.patchCode(atoms)); }
    /** The head in two stages through a {@code width}-wide mlp_head output (0: one stage). */
    public CrateConfig withHeadHidden(int width) { return with(b -> b.headHidden(width)); }
    /** MSSA's output projection free (the reference's) or tied to the subspaces (the paper's). */
    public CrateConfig withMssa(MssaOutput form) { return with(b -> b.mssa(form)); }
    public CrateConfig withAttention(Attention a) { return with(b -> b.attention(a)); }
    public CrateConfig withHeads(int h, int k) { return with(b -> b.heads(h).headDim(k)); }

    /** Every parameter's key, shape and kind in the reference's order: what initialisation and weight decay follow. */
    public List<ParameterSpec> parameterSpecs() {
        List<ParameterSpec> s = new ArrayList<>();
        s.add(ParameterSpec.embedding("pos_embedding", 1, numTokens(), dim));
        s.add(ParameterSpec.token("cls_token", 1, 1, dim));
        s.addAll(ParameterSpec.layerNorm("to_patch_embedding.1", patchDim()));
        if (patchCode > 0) {
            s.add(ParameterSpec.weight("to_patch_embedding.code.weight", patchCode, patchDim()));
            s.add(ParameterSpec.bias("to_patch_embedding.code.bias", patchCode, patchDim()));
        }
        int embedIn = patchCode > 0 ? patchCode : patchDim();
        s.add(ParameterSpec.weight("to_patch_embedding.2.weight", dim, embedIn));
        s.add(ParameterSpec.bias("to_patch_embedding.2.bias", dim, embedIn));
        s.addAll(ParameterSpec.layerNorm("to_patch_embedding.3", dim));
        for (int i = 0; i < depth; i++) {
            String p = layerKey(i);
            s.addAll(ParameterSpec.layerNorm(p + "0.norm", dim));
            s.addAll(attention == Attention.TSSA ? tssaSpecs(p + "0.fn.") : Mssa.specs(p + "0.fn.", dim, heads, headDim, mssaProjection()));
            s.addAll(ParameterSpec.layerNorm(p + "1.norm", dim));
            s.add(Ista.spec(p + "1.fn.weight", dim));
        }
        s.addAll(ParameterSpec.layerNorm("mlp_head.0", dim));
        s.add(ParameterSpec.weight("mlp_head.1.weight", mlpHeadOut(), dim));
        s.add(ParameterSpec.bias("mlp_head.1.bias", mlpHeadOut(), dim));
        if (twoStageHead()) {
            s.add(ParameterSpec.weight("head.weight", numClasses, headHidden));
            s.add(ParameterSpec.bias("head.bias", numClasses, headHidden));
        }
        return s;
    }

    /**
     * TSSA's tensors under the reference's keys ({@link Tssa#specs}), initialised as CRATE's own
     * Linear layers are (torch's default, by kind and fan-in) except the temperature, 1 as in ToST.
     */
    private List<ParameterSpec> tssaSpecs(String prefix) {
        List<ParameterSpec> s = new ArrayList<>();
        for (ParameterSpec t : Tssa.specs(prefix, dim, innerDim(), heads, false)) {
            long[] shape = t.shape();
            s.add(switch (t.kind()) {
                case TEMPERATURE -> t;
                case BIAS -> ParameterSpec.bias(t.name(), shape[0], innerDim());
                default -> ParameterSpec.weight(t.name(), shape[0], shape[1]);
            });
        }
        return s;
    }

    /** The key prefix of layer {@code i}: {@code 0.} is its pre-normed MSSA, {@code 1.} its pre-normed ISTA. */
    static String layerKey(int i) {
        return "transformer.layers." + i + ".";
    }

    /**
     * Forward FLOPs per image (2 per multiply-add; GEMMs and attention products only, as usual).
     * ISTA counts one d×d GEMM per token (our fused form), not the reference's three.
     */
    public long flopsPerImage() {
        long n = numTokens();
        return embeddingFlops() + depth * layerFlops(n) + headFlops();
    }

    /**
     * The FLOPs {@link Crate#forward} actually runs per image: with class-token pooling and MSSA the
     * last layer is computed for the class token alone (its queries, projection and ISTA; keys over
     * every token), so this is what model-FLOPs utilisation divides by.
     */
    public long executedFlopsPerImage() {
        if (pool != Pooling.CLS || attention != Attention.MSSA) {
            return flopsPerImage();
        }
        long n = numTokens();
        return embeddingFlops() + (depth - 1) * layerFlops(n) + layerFlops(n, 1) + headFlops();
    }

    private long embeddingFlops() {
        return patchCode > 0                                            // patch embedding (through the code)
                ? 2L * numPatches() * patchCode * (patchDim() + dim) : 2L * numPatches() * patchDim() * dim;
    }

    private long layerFlops(long n) {
        return layerFlops(n, n);
    }

    /** One layer over {@code n} tokens whose outputs are wanted for {@code q} of them. */
    private long layerFlops(long n, long q) {
        return 2L * n * dim * innerDim()                                // U = x·Wᵀ
                + (attention == Attention.TSSA
                        ? 2L * 2 * n * innerDim()                       // TSSA: Π-weighted moments and the gains, linear in n
                        : 2L * 2 * heads * q * n * headDim)             // U·Uᵀ and A·U
                + (projectsOut() ? 2L * q * innerDim() * dim : 0)       // output projection
                + 2L * q * dim * dim;                                   // ISTA
    }

    private long headFlops() {
        return 2L * dim * mlpHeadOut() + (twoStageHead() ? 2L * headHidden * numClasses : 0);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new CrateException(message);
        }
    }

    /**
     * Defaults are CRATE-base's shape on ImageNet-1k (image 224, patch 16, d 768, 12 layers of 12
     * heads, class-token pooling, η = λ = 0.1, no dropout, MSSA with the free projection);
     * {@code headDim} 0 means d / h and {@code patchWindow} 0 means P.
     */
    public static final class Builder extends ShapeBuilder<Builder> {
        private int headDim, patchWindow, patchCode, headHidden;
        private Pooling pool = Pooling.CLS;
        private double eta = 0.1, lambda = 0.1, dropout, embDropout;
        private Attention attention = Attention.MSSA;
        private MssaOutput mssa = MssaOutput.FREE;

        private Builder() {}

        public Builder headDim(int k) { headDim = k; return this; }
        public Builder pool(Pooling p) { pool = p; return this; }
        public Builder eta(double v) { eta = v; return this; }
        public Builder lambda(double v) { lambda = v; return this; }
        public Builder dropout(double v) { dropout = v; return this; }
        public Builder embDropout(double v) { embDropout = v; return this; }
        public Builder patchWindow(int k) { patchWindow = k; return this; }
        public Builder patchCode(int atoms) { patchCode = atoms; return this; }
        public Builder headHidden(int width) { headHidden = width; return this; }
        public Builder attention(Attention a) { attention = a; return this; }
        public Builder mssa(MssaOutput form) { mssa = form; return this; }

        public CrateConfig build() {
            int k = headDim;
            if (k == 0) {
                require(heads > 0 && dim % heads == 0, "heads " + heads + " do not divide the width " + dim
                        + ": choose heads among the divisors of " + dim);
                k = dim / heads;
            }
            return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, k, pool, eta,
                    lambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention, mssa);
        }
    }
}

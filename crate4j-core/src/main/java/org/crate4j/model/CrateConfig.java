package org.crate4j.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * The CRATE classifier's architecture (SPEC §1). Immutable; derived sizes are methods.
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
 */
public record CrateConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses,
        int dim, int depth, int heads, int headDim, Pooling pool, double eta, double lambda,
        double dropout, double embDropout, int patchWindow, int patchCode, int headHidden, Attention attention) {

    public CrateConfig {
        if (attention == null) {
            attention = Attention.MSSA;
        }
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
        require(headHidden >= 0, "head width must be 0 (one stage) or positive, got " + headHidden);
        require(patchCode >= 0, "patch code size must be 0 (off) or positive, got " + patchCode);
        require(patchWindow >= patchSize && (patchWindow - patchSize) % 2 == 0, "patch window " + patchWindow
                + " must be the patch size " + patchSize + " plus an even margin (" + patchSize + ", " + (patchSize + 2) + ", "
                + (patchSize + 4) + ", …)");
    }

    /** MSSA, as the reference (and every config written before the field existed). */
    public CrateConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses, int dim, int depth, int heads,
            int headDim, Pooling pool, double eta, double lambda, double dropout, double embDropout, int patchWindow, int patchCode,
            int headHidden) {
        this(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout,
                embDropout, patchWindow, patchCode, headHidden, Attention.MSSA);
    }

    /** A one-stage head (every layout but the segmentation demo's). */
    public CrateConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses, int dim, int depth, int heads,
            int headDim, Pooling pool, double eta, double lambda, double dropout, double embDropout, int patchWindow, int patchCode) {
        this(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout,
                embDropout, patchWindow, patchCode, 0);
    }

    /** The usual CRATE shape: square images, k = d / h, class-token pooling, η = λ = 0.1. */
    public static CrateConfig of(int imageSize, int patchSize, int channels, int numClasses, int dim, int depth, int heads) {
        require(dim % heads == 0, "heads " + heads + " do not divide the width " + dim
                + ": choose heads among the divisors of " + dim);
        return new CrateConfig(imageSize, imageSize, patchSize, channels, numClasses, dim, depth, heads,
                dim / heads, Pooling.CLS, 0.1, 0.1, 0.0, 0.0, patchSize, 0, 0);
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
    /** The reference skips MSSA's output projection when one head spans the whole width. */
    public boolean projectsOut() { return attention == Attention.TSSA || !(heads == 1 && headDim == dim); }
    /** A second Linear {@code head} follows {@code mlp_head} (the segmentation demo's layout). */
    public boolean twoStageHead() { return headHidden > 0; }
    /** The width of {@code mlp_head}'s Linear output: the classes, or the first stage of a two-stage head. */
    public int mlpHeadOut() { return twoStageHead() ? headHidden : numClasses; }

    public CrateConfig withImageSize(int height, int width) {
        return new CrateConfig(height, width, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention);
    }
    public CrateConfig withClasses(int classes) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, classes, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention);
    }
    public CrateConfig withChannels(int c) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, c, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention);
    }
    public CrateConfig withPool(Pooling p) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, p, eta, lambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention);
    }
    public CrateConfig withSparsity(double newEta, double newLambda) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, newEta, newLambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention);
    }
    public CrateConfig withDropout(double drop, double embDrop) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, drop, embDrop, patchWindow, patchCode, headHidden, attention);
    }
    public CrateConfig withPatchWindow(int k) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, k, patchCode, headHidden, attention);
    }
    public CrateConfig withPatchCode(int atoms) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, patchWindow, atoms, headHidden, attention);
    }
    /** The head in two stages through a {@code width}-wide mlp_head output (0: one stage). */
    public CrateConfig withHeadHidden(int width) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, patchWindow, patchCode, width, attention);
    }
    public CrateConfig withAttention(Attention a) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, headDim, pool, eta, lambda, dropout, embDropout, patchWindow, patchCode, headHidden, a);
    }
    public CrateConfig withHeads(int h, int k) {
        return new CrateConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, h, k, pool, eta, lambda, dropout, embDropout, patchWindow, patchCode, headHidden, attention);
    }

    /**
     * Every parameter's reference state-dict key and shape, in the reference's order. The single
     * source of truth for building, loading and counting.
     */
    public Map<String, long[]> parameterShapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("pos_embedding", new long[] {1, numTokens(), dim});
        s.put("cls_token", new long[] {1, 1, dim});
        s.put("to_patch_embedding.1.weight", new long[] {patchDim()});
        s.put("to_patch_embedding.1.bias", new long[] {patchDim()});
        if (patchCode > 0) {
            s.put("to_patch_embedding.code.weight", new long[] {patchCode, patchDim()});
            s.put("to_patch_embedding.code.bias", new long[] {patchCode});
        }
        s.put("to_patch_embedding.2.weight", new long[] {dim, patchCode > 0 ? patchCode : patchDim()});
        s.put("to_patch_embedding.2.bias", new long[] {dim});
        s.put("to_patch_embedding.3.weight", new long[] {dim});
        s.put("to_patch_embedding.3.bias", new long[] {dim});
        for (int i = 0; i < depth; i++) {
            String p = "transformer.layers." + i + ".";
            s.put(p + "0.norm.weight", new long[] {dim});
            s.put(p + "0.norm.bias", new long[] {dim});
            if (attention == Attention.TSSA) {
                for (ParameterSpec t : Tssa.specs(p + "0.fn.", dim, innerDim(), heads, false)) {
                    s.put(t.name(), t.shape());
                }
            } else {
                s.put(p + "0.fn.qkv.weight", new long[] {innerDim(), dim});
            }
            if (attention == Attention.MSSA && projectsOut()) {
                s.put(p + "0.fn.to_out.0.weight", new long[] {dim, innerDim()});
                s.put(p + "0.fn.to_out.0.bias", new long[] {dim});
            }
            s.put(p + "1.norm.weight", new long[] {dim});
            s.put(p + "1.norm.bias", new long[] {dim});
            s.put(p + "1.fn.weight", new long[] {dim, dim});
        }
        s.put("mlp_head.0.weight", new long[] {dim});
        s.put("mlp_head.0.bias", new long[] {dim});
        s.put("mlp_head.1.weight", new long[] {mlpHeadOut(), dim});
        s.put("mlp_head.1.bias", new long[] {mlpHeadOut()});
        if (twoStageHead()) {
            s.put("head.weight", new long[] {numClasses, headHidden});
            s.put("head.bias", new long[] {numClasses});
        }
        return s;
    }

    public long parameterCount() {
        long n = 0;
        for (long[] shape : parameterShapes().values()) {
            n += numel(shape);
        }
        return n;
    }

    /**
     * Forward FLOPs per image (2 per multiply-add; GEMMs and attention products only, as usual).
     * ISTA counts one d×d GEMM per token (our fused form), not the reference's three.
     */
    public long flopsPerImage() {
        long n = numTokens();
        long f = patchCode > 0                                          // patch embedding (through the code)
                ? 2L * numPatches() * patchCode * (patchDim() + dim) : 2L * numPatches() * patchDim() * dim;
        long layer = 2L * n * dim * innerDim()                          // U = x·Wᵀ
                + (attention == Attention.TSSA
                        ? 2L * 2 * n * innerDim()                       // TSSA: Π-weighted moments and the gains, linear in n
                        : 2L * 2 * heads * n * n * headDim)             // U·Uᵀ and A·U
                + (projectsOut() ? 2L * n * innerDim() * dim : 0)       // output projection
                + 2L * n * dim * dim;                                   // ISTA
        long head = 2L * dim * mlpHeadOut() + (twoStageHead() ? 2L * headHidden * numClasses : 0);
        return f + depth * layer + head;
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new CrateException(message);
        }
    }
}

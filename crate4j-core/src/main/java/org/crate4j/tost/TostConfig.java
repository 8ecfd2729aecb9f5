package org.crate4j.tost;

import java.util.List;
import java.util.function.Consumer;
import org.crate4j.CrateException;
import org.crate4j.model.ClassifierShape;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.ShapeBuilder;

/**
 * A ToST vision model's architecture, as the reference's {@code VisionTransformer} takes it (Wu et
 * al., ICLR 2025; an XCiT-style model whose attention is TSSA). Immutable; change it through
 * {@link #toBuilder()} or {@link #with(Consumer)}.
 *
 * @param imageHeight     the training resolution (any size runs: the stem rounds up)
 * @param patchSize       16 (four stride-2 convolutions) or 8 (three)
 * @param channels        input channels (the reference hard-codes 3)
 * @param dim             d, the token width
 * @param depth           TSSA + MLP blocks
 * @param heads           h, TSSA's and class attention's heads
 * @param mlpRatio        MLP hidden width over d (hidden = ⌊d · ratio⌋)
 * @param qkvBias         whether TSSA's and class attention's {@code qkv} have a bias
 * @param layerScale      η, the initial value of every layer-scale γ (1 for 12 layers, 1e-5 for 24)
 * @param tokensNorm      class-attention blocks normalise every token (true in every preset) or only the class token
 * @param classAttentionLayers class-attention blocks after the TSSA blocks (2)
 * @param positions       whether the Fourier position encoding is added
 * @param dropout         the reference's {@code drop_rate}: after the position encoding, TSSA's and
 *                        class attention's output projection, and inside every MLP
 * @param attentionDropout the reference's {@code attn_drop_rate}: TSSA's gains, class attention's weights
 * @param dropPath        stochastic depth on the TSSA blocks' branches, the same rate in every block
 *                        (the reference does not ramp it; class-attention blocks get none)
 */
public record TostConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses,
        int dim, int depth, int heads, double mlpRatio, boolean qkvBias, double layerScale, boolean tokensNorm,
        int classAttentionLayers, boolean positions, double dropout, double attentionDropout, double dropPath)
        implements ClassifierShape {

    public static final double LN_EPS = 1e-6;
    public static final double BN_EPS = 1e-5;
    public static final double BN_MOMENTUM = 0.1;
    /** Fourier features per axis before the 1×1 projection, and their temperature (DETR's). */
    public static final int POS_HIDDEN = 32;
    public static final double POS_TEMPERATURE = 10000;

    public TostConfig {
        require(imageHeight > 0 && imageWidth > 0, "image size must be positive, got " + imageHeight + "x" + imageWidth);
        require(patchSize == 16 || patchSize == 8, "ToST's convolutional stem has patch size 16 or 8, got " + patchSize);
        require(channels > 0 && numClasses > 0 && dim > 0 && depth > 0 && heads > 0 && classAttentionLayers >= 0,
                "channels, classes, dim, depth and heads must be positive");
        require(dim % heads == 0, heads + " heads do not divide the width " + dim + ": choose heads among its divisors");
        require(dim >= (patchSize == 16 ? 8 : 4), "the stem's first stage has d/" + (patchSize == 16 ? 8 : 4)
                + " channels: dim " + dim + " is too small for patch " + patchSize);
        require(mlpRatio > 0 && (int) (dim * mlpRatio) > 0, "MLP ratio must be positive, got " + mlpRatio);
        require(rate(dropout) && rate(attentionDropout) && rate(dropPath), "dropout and drop-path rates must be in [0, 1)");
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A copy changed by {@code edit}: {@code config.with(b -> b.classes(10))}. */
    public TostConfig with(Consumer<Builder> edit) {
        Builder b = toBuilder();
        edit.accept(b);
        return b.build();
    }

    /** Channels after each stem stage: ⌊d/8⌋, ⌊d/4⌋, ⌊d/2⌋, d (patch 16) or ⌊d/4⌋, ⌊d/2⌋, d (patch 8). */
    public int[] stemChannels() {
        return patchSize == 16 ? new int[] {dim / 8, dim / 4, dim / 2, dim} : new int[] {dim / 4, dim / 2, dim};
    }

    /** The grid the stem makes of an H×W image: each stride-2, padding-1, 3×3 stage takes ⌈x/2⌉. */
    public int[] grid(long height, long width) {
        long h = height, w = width;
        for (int i = 0; i < stemChannels().length; i++) {
            h = (h + 1) / 2;
            w = (w + 1) / 2;
        }
        return new int[] {(int) h, (int) w};
    }

    public int numPatches() {
        int[] g = grid(imageHeight, imageWidth);
        return g[0] * g[1];
    }

    public int headDim() { return dim / heads; }
    public int mlpHidden() { return (int) (dim * mlpRatio); }

    /**
     * Every tensor of the reference's state dict in its order — key, shape, kind, initialisation —
     * BatchNorm's running statistics included (kind {@code STATISTIC}).
     */
    public List<ParameterSpec> parameterSpecs() {
        return TostLayout.specs(this);
    }

    /** The trainable parameters' count (running statistics excluded), as PyTorch's {@code model.parameters()} counts. */
    public long parameterCount() {
        long n = 0;
        for (ParameterSpec s : parameterSpecs()) {
            n += s.kind().trainable() ? s.numel() : 0;
        }
        return n;
    }

    private static boolean rate(double r) {
        return r >= 0 && r < 1;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new CrateException(message);
        }
    }

    /** Defaults are the reference constructor's, with the presets' LayerNorm and tokens_norm. */
    public static final class Builder extends ShapeBuilder<Builder> {
        private int classAttentionLayers = 2;
        private double mlpRatio = 4, layerScale = 1.0, dropout, attentionDropout, dropPath;
        private boolean qkvBias = true, tokensNorm = true, positions = true;

        Builder() {}

        Builder(TostConfig c) {
            imageHeight = c.imageHeight; imageWidth = c.imageWidth; patchSize = c.patchSize; channels = c.channels;
            numClasses = c.numClasses; dim = c.dim; depth = c.depth; heads = c.heads; mlpRatio = c.mlpRatio;
            qkvBias = c.qkvBias; layerScale = c.layerScale; tokensNorm = c.tokensNorm;
            classAttentionLayers = c.classAttentionLayers; positions = c.positions; dropout = c.dropout;
            attentionDropout = c.attentionDropout; dropPath = c.dropPath;
        }

        public Builder mlpRatio(double v) { mlpRatio = v; return this; }
        public Builder qkvBias(boolean v) { qkvBias = v; return this; }
        public Builder layerScale(double v) { layerScale = v; return this; }
        public Builder tokensNorm(boolean v) { tokensNorm = v; return this; }
        public Builder classAttentionLayers(int v) { classAttentionLayers = v; return this; }
        public Builder positions(boolean v) { positions = v; return this; }
        public Builder dropout(double v) { dropout = v; return this; }
        public Builder attentionDropout(double v) { attentionDropout = v; return this; }
        public Builder dropPath(double v) { dropPath = v; return this; }

        public TostConfig build() {
            return new TostConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads, mlpRatio,
                    qkvBias, layerScale, tokensNorm, classAttentionLayers, positions, dropout, attentionDropout, dropPath);
        }
    }
}

package org.crate4j.vit;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.crate4j.CrateException;
import org.crate4j.model.ClassifierShape;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.ShapeBuilder;

/**
 * The ViT baseline's architecture in timm's {@code VisionTransformer} layout (Dosovitskiy et al.,
 * 2021): class token, learned positions, pre-norm blocks of multi-head self-attention (fused qkv
 * with bias) and a GELU MLP, a final LayerNorm, class-token pooling and a Linear head. Immutable;
 * build with {@link #builder()} or change with {@code config.with(b -> b.depth(6))}.
 *
 * @param heads            h; each head is d / h wide
 * @param mlpHidden        the MLP's hidden width (4·d in every timm preset)
 * @param dropout          timm's proj_drop: after the attention's projection and after each MLP layer
 * @param attentionDropout timm's attn_drop: on the attention weights
 */
public record VitConfig(int imageHeight, int imageWidth, int patchSize, int channels, int numClasses,
        int dim, int depth, int heads, int mlpHidden, double dropout, double attentionDropout)
        implements ClassifierShape {

    /** timm's LayerNorm eps for ViT (every norm: norm1, norm2 and the final norm). */
    public static final double LN_EPS = 1e-6;

    public VitConfig {
        require(imageHeight > 0 && imageWidth > 0, "image size must be positive, got " + imageHeight + "x" + imageWidth);
        require(patchSize > 0 && imageHeight % patchSize == 0 && imageWidth % patchSize == 0,
                "image " + imageHeight + "x" + imageWidth + " is not divisible by patch " + patchSize);
        require(channels > 0 && numClasses > 0 && dim > 0 && depth > 0 && heads > 0 && mlpHidden > 0,
                "channels, classes, width, depth, heads and MLP width must be positive");
        require(dim % heads == 0, "heads " + heads + " do not divide the width " + dim + ": choose heads among the divisors of " + dim);
        require(dropout >= 0 && dropout < 1 && attentionDropout >= 0 && attentionDropout < 1, "dropout must be in [0, 1)");
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().image(imageHeight, imageWidth).patchSize(patchSize).channels(channels).classes(numClasses)
                .dim(dim).depth(depth).heads(heads).mlpHidden(mlpHidden).dropout(dropout).attentionDropout(attentionDropout);
    }

    public VitConfig with(Consumer<Builder> change) {
        Builder b = toBuilder();
        change.accept(b);
        return b.build();
    }

    public int gridHeight() { return imageHeight / patchSize; }
    public int gridWidth() { return imageWidth / patchSize; }
    public int numPatches() { return gridHeight() * gridWidth(); }
    public int numTokens() { return numPatches() + 1; }
    public int headDim() { return dim / heads; }

    /** Every parameter in timm's state-dict order, with its kind. */
    public List<ParameterSpec> parameterSpecs() {
        List<ParameterSpec> s = new ArrayList<>();
        s.add(ParameterSpec.token(VitKeys.CLASS_TOKEN, 1, 1, dim));
        s.add(ParameterSpec.embedding(VitKeys.POSITIONS, 1, numTokens(), dim));
        long stemFanIn = (long) channels * patchSize * patchSize;
        s.add(ParameterSpec.convWeight(VitKeys.weight(VitKeys.STEM), dim, channels, patchSize));
        s.add(ParameterSpec.convBias(VitKeys.bias(VitKeys.STEM), dim, stemFanIn));
        for (int i = 0; i < depth; i++) {
            s.addAll(ParameterSpec.layerNorm(VitKeys.norm1(i), dim));
            linear(s, VitKeys.qkv(i), 3L * dim, dim);
            linear(s, VitKeys.proj(i), dim, dim);
            s.addAll(ParameterSpec.layerNorm(VitKeys.norm2(i), dim));
            linear(s, VitKeys.fc1(i), mlpHidden, dim);
            linear(s, VitKeys.fc2(i), dim, mlpHidden);
        }
        s.addAll(ParameterSpec.layerNorm(VitKeys.FINAL_NORM, dim));
        linear(s, VitKeys.HEAD, numClasses, dim);
        return s;
    }

    private static void linear(List<ParameterSpec> s, String layer, long out, long in) {
        s.add(ParameterSpec.weight(VitKeys.weight(layer), out, in));
        s.add(ParameterSpec.bias(VitKeys.bias(layer), out, in));
    }

    /** Forward FLOPs per image (2 per multiply-add; the stem, GEMMs and attention products). */
    public long flopsPerImage() {
        long n = numTokens();
        long stem = 2L * numPatches() * channels * patchSize * patchSize * dim;
        long block = 2L * n * dim * 3 * dim                 // q, k, v
                + 2L * 2 * n * n * dim                      // Q·Kᵀ and A·V over all heads
                + 2L * n * dim * dim                        // output projection
                + 2L * 2 * n * dim * mlpHidden;             // fc1 and fc2
        return stem + depth * block + 2L * dim * numClasses;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new CrateException(message);
        }
    }

    /** Defaults are ViT-B/16 on ImageNet-1k; {@code mlpHidden} 0 means 4·d (timm's mlp_ratio 4). */
    public static final class Builder extends ShapeBuilder<Builder> {
        private int mlpHidden;
        private double dropout, attentionDropout;

        private Builder() {}

        public Builder mlpHidden(int w) { mlpHidden = w; return this; }
        public Builder dropout(double v) { dropout = v; return this; }
        public Builder attentionDropout(double v) { attentionDropout = v; return this; }

        public VitConfig build() {
            return new VitConfig(imageHeight, imageWidth, patchSize, channels, numClasses, dim, depth, heads,
                    mlpHidden == 0 ? 4 * dim : mlpHidden, dropout, attentionDropout);
        }
    }
}

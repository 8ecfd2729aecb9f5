package org.crate4j.mae;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.crate4j.CrateException;
import org.crate4j.model.Attention;
import org.crate4j.model.Ista;
import org.crate4j.model.Mssa;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Tssa;

/**
 * The CRATE-MAE architecture (docs/architecture.md §2). Immutable; derived sizes are methods.
 *
 * @param imageSize    square input side in pixels (the fixed position tables are built for it)
 * @param patchSize    P: images are cut into P×P patches
 * @param encoderDim   d of the encoder
 * @param encoderDepth encoder layers (MSSA + ISTA)
 * @param encoderHeads encoder subspaces; k = d / h
 * @param decoderDim   d of the decoder; must equal the encoder's, see the constructor
 * @param decoderDepth decoder layers (transposed step: dictionary, then MSSA subtracted)
 * @param decoderHeads decoder subspaces
 * @param eta          ISTA step size η of the encoder
 * @param lambda       ISTA threshold λ of the encoder (0.5 in the reference's encoder)
 * @param maskRatio    fraction of patches replaced by the mask token during pre-training
 * @param normPixLoss  compare against per-patch normalised pixels
 * @param attention    the compression step of every encoder and decoder layer: MSSA (the reference;
 *                     also what configs written before the field existed read as) or ToST's TSSA
 *                     under the same {@code fn.*} keys plus a per-head {@code fn.temp}
 */
public record MaeConfig(int imageSize, int patchSize, int channels,
        int encoderDim, int encoderDepth, int encoderHeads,
        int decoderDim, int decoderDepth, int decoderHeads,
        double eta, double lambda, double maskRatio, boolean normPixLoss, Attention attention) {

    /** Keys of the two sine-cosine tables: stored in checkpoints, never trained. */
    public static final Set<String> FIXED_TABLES = Set.of("pos_embed", "decoder_pos_embed");

    public MaeConfig {
        if (attention == null) {
            attention = Attention.MSSA;
        }
        require(imageSize > 0 && patchSize > 0 && imageSize % patchSize == 0,
                "image " + imageSize + " is not a positive multiple of the patch size " + patchSize);
        require(channels > 0 && encoderDepth > 0 && decoderDepth > 0 && encoderHeads > 0 && decoderHeads > 0,
                "channels, depths and heads must be positive");
        require(encoderDim > 0 && encoderDim % 4 == 0,
                "width " + encoderDim + " must be a positive multiple of 4 (the 2-D sine-cosine table splits it in quarters)");
        // The reference feeds the encoder's output straight into the decoder (decoder_embed is never
        // applied) and adds decoder_pos_embed and the mask token on the encoder side: one width.
        require(decoderDim == encoderDim, "decoder width " + decoderDim + " must equal the encoder width " + encoderDim
                + ": the reference passes the latent to the decoder without decoder_embed");
        require(encoderDim % encoderHeads == 0, "encoder heads " + encoderHeads + " do not divide the width " + encoderDim);
        require(decoderDim % decoderHeads == 0, "decoder heads " + decoderHeads + " do not divide the width " + decoderDim);
        require(maskRatio >= 0 && maskRatio < 1, "mask ratio must be in [0, 1), got " + maskRatio);
    }

    /** With MSSA, the reference's compression step. */
    public MaeConfig(int imageSize, int patchSize, int channels, int encoderDim, int encoderDepth, int encoderHeads,
            int decoderDim, int decoderDepth, int decoderHeads, double eta, double lambda, double maskRatio, boolean normPixLoss) {
        this(imageSize, patchSize, channels, encoderDim, encoderDepth, encoderHeads, decoderDim, decoderDepth, decoderHeads, eta,
                lambda, maskRatio, normPixLoss, Attention.MSSA);
    }

    /** Encoder and decoder alike, η = 0.1, λ = 0.5, mask ratio 0.75, raw-pixel loss, MSSA (architecture §2). */
    public static MaeConfig of(int imageSize, int patchSize, int channels, int dim, int depth, int heads) {
        return new MaeConfig(imageSize, patchSize, channels, dim, depth, heads, dim, depth, heads, 0.1, 0.5, 0.75, false);
    }

    public int gridSize() { return imageSize / patchSize; }
    public int numPatches() { return gridSize() * gridSize(); }
    /** Patches plus the class token. */
    public int numTokens() { return numPatches() + 1; }
    /** P²·C, the width of one flattened patch and of the decoder's prediction. */
    public int patchDim() { return patchSize * patchSize * channels; }
    public int encoderHeadDim() { return encoderDim / encoderHeads; }
    public int decoderHeadDim() { return decoderDim / decoderHeads; }
    /** Patches the encoder sees as themselves: ⌊N·(1 − ratio)⌋, as Python's int() truncates. */
    public int keptPatches() { return (int) (numPatches() * (1 - maskRatio)); }
    /** The reference skips MSSA's output projection when one head spans the whole width; TSSA always projects. */
    public boolean encoderProjectsOut() { return attention == Attention.TSSA || encoderHeads != 1; }
    public boolean decoderProjectsOut() { return attention == Attention.TSSA || decoderHeads != 1; }
    public Mssa.Projection encoderProjection() { return encoderProjectsOut() ? Mssa.Projection.FREE : Mssa.Projection.NONE; }
    public Mssa.Projection decoderProjection() { return decoderProjectsOut() ? Mssa.Projection.FREE : Mssa.Projection.NONE; }
    /** Encoder layer {@code i}'s key prefix: {@code 0.} its pre-normed MSSA, {@code 1.} its pre-normed ISTA. */
    static String encoderKey(int i) { return "blocks." + i + ".layers.0."; }
    /** Decoder layer {@code i}'s key prefix: {@code 0.} its pre-normed dictionary, {@code 1.} its pre-normed MSSA. */
    static String decoderKey(int i) { return "decoder_blocks." + i + ".layers.0."; }

    public Builder toBuilder() {
        return new Builder().imageSize(imageSize).patchSize(patchSize).channels(channels)
                .encoderDim(encoderDim).encoderDepth(encoderDepth).encoderHeads(encoderHeads)
                .decoderDim(decoderDim).decoderDepth(decoderDepth).decoderHeads(decoderHeads)
                .eta(eta).lambda(lambda).maskRatio(maskRatio).normPixLoss(normPixLoss).attention(attention);
    }

    /** This config with the builder's changes: {@code config.with(b -> b.maskRatio(0.5))}. */
    public MaeConfig with(Consumer<Builder> change) {
        Builder b = toBuilder();
        change.accept(b);
        return b.build();
    }

    public MaeConfig withMaskRatio(double r) { return with(b -> b.maskRatio(r)); }
    public MaeConfig withNormPixLoss(boolean on) { return with(b -> b.normPixLoss(on)); }
    public MaeConfig withSparsity(double newEta, double newLambda) { return with(b -> b.eta(newEta).lambda(newLambda)); }
    public MaeConfig withHeads(int encoder, int decoder) { return with(b -> b.encoderHeads(encoder).decoderHeads(decoder)); }
    public MaeConfig withChannels(int c) { return with(b -> b.channels(c)); }
    /** Another patch size, width, depths and heads (encoder and decoder share width and heads). */
    public MaeConfig withShape(int patch, int dim, int depth, int heads, int decDepth) {
        return with(b -> b.patchSize(patch).encoderDim(dim).encoderDepth(depth).encoderHeads(heads)
                .decoderDim(dim).decoderDepth(decDepth).decoderHeads(heads));
    }
    /** MSSA or TSSA in every encoder and decoder layer. */
    public MaeConfig withAttention(Attention a) { return with(b -> b.attention(a)); }
    public MaeConfig withImageSize(int size) { return with(b -> b.imageSize(size)); }

    /**
     * Every tensor of a reference checkpoint, key and shape, in the reference's state-dict order
     * (the module's own tensors first, then its sub-modules). Includes the two fixed tables
     * ({@link #FIXED_TABLES}); {@link #trainableShapes()} leaves them out. The single source of
     * truth for building, loading and counting.
     *
     * <p>Counted as trainable: {@code cls_token}, {@code mask_token} (the learned mask token, one
     * vector of the decoder width) and {@code decoder_embed} (present and trained in the reference
     * although its forward never applies it). With these the base preset has 44,335,872 trainable
     * parameters, the figure of architecture §2; leaving any of them out would not reproduce it.
     */
    public Map<String, long[]> parameterShapes() {
        return ParameterSpec.shapes(parameterSpecs());
    }

    /** {@link #parameterShapes()} with each tensor's kind, which initialisation ({@link MaeInit}) and weight decay follow. */
    public List<ParameterSpec> parameterSpecs() {
        int d = encoderDim, dd = decoderDim;
        List<ParameterSpec> s = new ArrayList<>();
        s.add(ParameterSpec.token("cls_token", 1, 1, d));
        s.add(ParameterSpec.embedding("pos_embed", 1, numTokens(), d));
        s.add(ParameterSpec.token("mask_token", 1, 1, dd));
        s.add(ParameterSpec.embedding("decoder_pos_embed", 1, numTokens(), dd));
        s.add(ParameterSpec.convWeight("patch_embed.proj.weight", d, channels, patchSize));
        s.add(ParameterSpec.convBias("patch_embed.proj.bias", d, (long) channels * patchSize * patchSize));
        for (int i = 0; i < encoderDepth; i++) {
            String p = encoderKey(i);
            s.addAll(ParameterSpec.layerNorm(p + "0.norm", d));
            s.addAll(compression(p + "0.fn.", d, encoderHeads, encoderProjection()));
            s.addAll(ParameterSpec.layerNorm(p + "1.norm", d));
            s.add(Ista.spec(p + "1.fn.weight", d));                                // ISTA dictionary D
        }
        s.addAll(ParameterSpec.layerNorm("norm", d));
        s.add(ParameterSpec.weight("decoder_embed.weight", dd, d));
        s.add(ParameterSpec.bias("decoder_embed.bias", dd, d));
        for (int i = 0; i < decoderDepth; i++) {
            String p = decoderKey(i);
            s.addAll(ParameterSpec.layerNorm(p + "0.norm", dd));
            s.add(ParameterSpec.dictionary(p + "0.fn.weight", dd, dd));            // decoder dictionary, Y = X·Dᵀ
            s.addAll(ParameterSpec.layerNorm(p + "1.norm", dd));
            s.addAll(compression(p + "1.fn.", dd, decoderHeads, decoderProjection()));
        }
        s.addAll(ParameterSpec.layerNorm("decoder_norm", dd));
        s.add(ParameterSpec.weight("decoder_pred.weight", patchDim(), dd));
        s.add(ParameterSpec.bias("decoder_pred.bias", patchDim(), dd));
        return s;
    }

    /** The compression step's tensors: MSSA's ({@code qkv}, {@code to_out.0}) or TSSA's ({@code temp} first, then the same). */
    private List<ParameterSpec> compression(String prefix, int d, int heads, Mssa.Projection projection) {
        return attention == Attention.TSSA ? Tssa.specs(prefix, d, heads, false) : Mssa.specs(prefix, d, heads, d / heads, projection);
    }

    /** {@link #parameterShapes()} without the fixed position tables: what an optimiser updates. */
    public Map<String, long[]> trainableShapes() {
        Map<String, long[]> s = parameterShapes();
        s.keySet().removeAll(FIXED_TABLES);
        return s;
    }

    /** Trainable parameters (44,335,872 for crate-mae-base). */
    public long parameterCount() {
        return count(trainableShapes());
    }

    /** Entries of the two fixed sine-cosine tables (2 × 197 × 768 for crate-mae-base). */
    public long fixedCount() {
        return count(parameterShapes()) - parameterCount();
    }

    /**
     * Forward FLOPs per image of encoder plus decoder (2 per multiply-add, GEMMs and attention
     * products). The reference's encoder runs on all N+1 positions (mask tokens included), so
     * masking saves nothing. ISTA counts our one fused GEMM.
     */
    public long flopsPerImage() {
        long n = numTokens();
        long patchEmbed = 2L * numPatches() * patchDim() * encoderDim;
        long enc = encoderDepth * (compressionFlops(n, encoderDim, encoderProjectsOut()) + 2L * n * encoderDim * encoderDim);
        long dec = decoderDepth * (compressionFlops(n, decoderDim, decoderProjectsOut()) + 2L * n * decoderDim * decoderDim);
        return patchEmbed + enc + dec + 2L * n * decoderDim * patchDim();
    }

    /** U = x·Wᵀ, then MSSA's U·Uᵀ and A·U (quadratic in n) or TSSA's moments and gains (linear), then the output projection. */
    private long compressionFlops(long n, long d, boolean projectsOut) {
        long mixing = attention == Attention.TSSA ? 2L * 2 * n * d : 2L * 2 * n * n * d;
        return 2L * n * d * d + mixing + (projectsOut ? 2L * n * d * d : 0);
    }

    private static long count(Map<String, long[]> shapes) {
        long n = 0;
        for (long[] shape : shapes.values()) {
            long e = 1;
            for (long x : shape) {
                e *= x;
            }
            n += e;
        }
        return n;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new CrateException(message);
        }
    }

    /** A copy of a config's fields, changed one by one ({@link #toBuilder()}, {@link #with}). */
    public static final class Builder {
        private int imageSize, patchSize, channels, encoderDim, encoderDepth, encoderHeads, decoderDim, decoderDepth, decoderHeads;
        private double eta, lambda, maskRatio;
        private boolean normPixLoss;
        private Attention attention;

        private Builder() {}

        public Builder imageSize(int side) { imageSize = side; return this; }
        public Builder patchSize(int p) { patchSize = p; return this; }
        public Builder channels(int c) { channels = c; return this; }
        public Builder encoderDim(int d) { encoderDim = d; return this; }
        public Builder encoderDepth(int l) { encoderDepth = l; return this; }
        public Builder encoderHeads(int h) { encoderHeads = h; return this; }
        public Builder decoderDim(int d) { decoderDim = d; return this; }
        public Builder decoderDepth(int l) { decoderDepth = l; return this; }
        public Builder decoderHeads(int h) { decoderHeads = h; return this; }
        public Builder eta(double v) { eta = v; return this; }
        public Builder lambda(double v) { lambda = v; return this; }
        public Builder maskRatio(double r) { maskRatio = r; return this; }
        public Builder normPixLoss(boolean on) { normPixLoss = on; return this; }
        public Builder attention(Attention a) { attention = a; return this; }

        public MaeConfig build() {
            return new MaeConfig(imageSize, patchSize, channels, encoderDim, encoderDepth, encoderHeads, decoderDim, decoderDepth,
                    decoderHeads, eta, lambda, maskRatio, normPixLoss, attention);
        }
    }
}

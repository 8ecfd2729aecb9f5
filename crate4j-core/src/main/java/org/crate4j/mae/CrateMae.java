package org.crate4j.mae;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;
import org.crate4j.engine.Scopes;
import org.crate4j.engine.ThreadShards;
import org.crate4j.engine.Torch;
import org.crate4j.model.Attention;
import org.crate4j.model.LayerTrace;
import org.crate4j.model.Ista;
import org.crate4j.model.Layers;
import org.crate4j.model.Mssa;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.Parameters;
import org.crate4j.model.PositionEmbedding;
import org.crate4j.model.Tssa;

/**
 * CRATE-MAE (docs/architecture.md §2): a masked autoencoder whose encoder layers are CRATE layers (compress with
 * MSSA, sparsify with ISTA) and whose decoder layers are their transposes (expand with a
 * dictionary, then undo compression). With {@link Attention#TSSA} in the config every MSSA, of
 * encoder and decoder, is ToST's linear-time TSSA instead, the same block the classifier uses.
 * Tensors carry the reference's names; the two sine-cosine position tables are kept apart from the
 * trainable {@link #parameters()}.
 */
public final class CrateMae {
    private static final double BLOCK_LN_EPS = 1e-5;   // the blocks' pre-norms
    private static final double FINAL_LN_EPS = 1e-6;   // norm and decoder_norm
    private static final double PIX_EPS = 1e-6;

    private final MaeConfig config;
    private final Parameters params;
    private final Map<String, Tensor> tables;
    /** The layers' compression steps: MSSA's or, by the config, TSSA's (the other two lists stay empty). */
    private final List<Mssa> encoderMssa = new ArrayList<>(), decoderMssa = new ArrayList<>();
    private final List<Tssa> encoderTssa = new ArrayList<>(), decoderTssa = new ArrayList<>();
    private final List<Ista> encoderIsta = new ArrayList<>();
    private Device device;

    /** The encoder's output and the masking it used. */
    public record Encoded(Tensor latent, Masking masking) {
        /** (B, N), 1 = removed. */
        public Tensor mask() { return masking.mask(); }
    }

    /** A compression step's output (B, n, d) and what a trace keeps of it: the projections U, and A (for TSSA its token weights) or null. */
    private record Compressed(Tensor out, Tensor subspaces, Tensor attention) {}

    /** What one pre-training step computes: the scalar loss, the predicted patches (B, N, P²C), the mask (B, N). */
    public record Output(Tensor loss, Tensor pred, Tensor mask) {}

    /**
     * Images (B, C, H, W) for looking at a reconstruction.
     *
     * @param prediction the decoder's output for every patch
     * @param pasted     the input's visible patches with the prediction in the removed ones
     * @param masked     the input with the removed patches set to 0
     * @param mask       (B, N), 1 = removed
     */
    public record Reconstruction(Tensor prediction, Tensor pasted, Tensor masked, Tensor mask) {}

    private CrateMae(MaeConfig config, Parameters params, Map<String, Tensor> tables, Device device) {
        this.config = config;
        this.params = params;
        this.tables = tables;
        this.device = device;
        boolean tssa = config.attention() == Attention.TSSA;
        for (int i = 0; i < config.encoderDepth(); i++) {
            String pre = MaeConfig.encoderKey(i);
            if (tssa) {
                encoderTssa.add(new Tssa(params, pre + "0.fn.", config.encoderHeads(), 0, 0));
            } else {
                encoderMssa.add(new Mssa(params, pre + "0.fn.", config.encoderHeads(), 0, config.encoderProjection()));
            }
            encoderIsta.add(new Ista(params, pre + "1.fn.weight", config.eta(), config.lambda()));
        }
        for (int i = 0; i < config.decoderDepth(); i++) {
            String pre = MaeConfig.decoderKey(i) + "1.fn.";
            if (tssa) {
                decoderTssa.add(new Tssa(params, pre, config.decoderHeads(), 0, 0));
            } else {
                decoderMssa.add(new Mssa(params, pre, config.decoderHeads(), 0, config.decoderProjection()));
            }
        }
    }

    /** A new model on the CPU; see {@link #create(MaeConfig, Device)}. */
    public static CrateMae create(MaeConfig config) {
        return create(config, Device.CPU);
    }

    /**
     * A new model on {@code device} with the MAE recipe's initialisation (see {@link MaeInit}),
     * drawn from libtorch's CPU generator so that a seed gives the same weights on every device.
     */
    public static CrateMae create(MaeConfig config, Device device) {
        Torch.init();
        return fromTensors(config, MaeInit.create(config), device);
    }

    /** A model around given tensors, one per key of {@link MaeConfig#parameterShapes()} (shapes already checked), on their device. */
    public static CrateMae fromTensors(MaeConfig config, Map<String, Tensor> tensors) {
        Tensor first = tensors.get(config.parameterShapes().keySet().iterator().next());
        return fromTensors(config, tensors, first == null ? Device.CPU : Device.of(first));
    }

    /** A model around copies of the given tensors on {@code device} (the tensors themselves when already there). */
    public static CrateMae fromTensors(MaeConfig config, Map<String, Tensor> tensors, Device device) {
        Map<String, Tensor> trainable = new LinkedHashMap<>();
        Map<String, Tensor> fixed = new LinkedHashMap<>();
        for (String name : config.parameterShapes().keySet()) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no tensor for " + name);
            }
            Tensor here = Torch.onDevice(t.detach(), device);
            if (MaeConfig.FIXED_TABLES.contains(name)) {
                here.retainReference();
                fixed.put(name, here);
            } else {
                trainable.put(name, here.requires_grad_(true));
            }
        }
        return new CrateMae(config, Parameters.of(trainable), Collections.unmodifiableMap(fixed), device);
    }

    public MaeConfig config() { return config; }

    /** Where the parameters and tables live; every loop puts its inputs there. */
    public Device device() { return device; }

    /** Moves parameters and tables to {@code target} in place (before an optimizer is made for them). */
    public CrateMae to(Device target) {
        if (!target.equals(device)) {
            params.moveTo(target);
            Parameters.moveTo(tables.values(), target);
            device = target;
        }
        return this;
    }

    /** The trainable tensors (what an optimiser updates and what is counted). */
    public Parameters parameters() { return params; }

    /** Each trainable tensor's kind, from the config's specs: weight decay follows it (TSSA's {@code temp} does not decay). */
    public Map<String, ParameterKind> kinds() {
        Map<String, ParameterKind> out = new LinkedHashMap<>();
        config.parameterSpecs().stream().filter(p -> !MaeConfig.FIXED_TABLES.contains(p.name())).forEach(p -> out.put(p.name(), p.kind()));
        return out;
    }

    /** The fixed tables {@code pos_embed} and {@code decoder_pos_embed} (no gradient). */
    public Map<String, Tensor> positionTables() { return tables; }

    /** Every tensor by reference key in the reference's order, trainable and fixed: what a checkpoint holds. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (String name : config.parameterShapes().keySet()) {
            all.put(name, MaeConfig.FIXED_TABLES.contains(name) ? tables.get(name) : params.get(name));
        }
        return all;
    }

    // ---------------------------------------------------------------- masking

    /** Masks by the given noise (B, N): each image keeps its N·(1 − ratio) patches of smallest noise. */
    public Masking mask(Tensor noise) {
        if (noise.dim() != 2 || noise.size(1) != config.numPatches()) {
            throw new CrateException("mask noise must be (B, " + config.numPatches() + "), got " + Arrays.toString(Torch.shape(noise)));
        }
        return Masking.fromNoise(noise, config.keptPatches());
    }

    /** Uniform noise in [0, 1) for {@code batch} images, on the model's device from its generator. */
    public Tensor randomNoise(long batch) {
        return Torch.rand(device, batch, config.numPatches());
    }

    /** A fresh random masking of {@code batch} images, on the model's device. */
    public Masking randomMask(long batch) {
        return mask(randomNoise(batch));
    }

    // ---------------------------------------------------------------- the model

    /** Loss, prediction and mask for images (B, C, H, W); {@code noise} (B, N) or null for random masking. */
    public Output forward(Tensor images, Tensor noise) {
        Encoded e = forwardEncoder(images, noise);
        Tensor pred = forwardDecoder(e.latent());
        return new Output(forwardLoss(images, pred, e.mask()), pred, e.mask());
    }

    /** The encoder on masked images: latent (B, N+1, d), class token first. */
    public Encoded forwardEncoder(Tensor images, Tensor noise) {
        return forwardEncoder(images, noise, null);
    }

    /** As {@link #forwardEncoder(Tensor, Tensor)}, appending every encoder layer's intermediates to {@code trace}. */
    public Encoded forwardEncoder(Tensor images, Tensor noise, List<LayerTrace> trace) {
        checkInput(images, true);
        Masking masking = mask(noise != null ? noise : randomNoise(images.size(0)));
        Tensor z = Scopes.keep(() -> maskedInput(images, masking));
        return new Encoded(encode(z, trace), masking);
    }

    /**
     * The encoder without masking, for linear probing and analysis: (B, N+1, d) after {@code norm}.
     * Its input is the reference's encoder input with no patch removed: every patch token, the class
     * token in front, plus {@code decoder_pos_embed} (not {@code pos_embed}), i.e. what
     * {@link #forwardEncoder} computes at mask ratio 0. Other image sizes than the config's get the
     * position table bicubically resized (docs/architecture.md §4).
     */
    public Tensor encodeFeatures(Tensor images) {
        checkInput(images, false);
        // no dropout and no mask here: without a gradient the rows may run as shards, one per thread
        return ThreadShards.inferenceRows(device, images, x -> encodeFeatures(x, null));
    }

    /** As {@link #encodeFeatures(Tensor)}, appending every encoder layer's intermediates to {@code trace}. */
    public Tensor encodeFeatures(Tensor images, List<LayerTrace> trace) {
        checkInput(images, false);
        Tensor z = Scopes.keep(() -> {
            int gh = (int) images.size(2) / config.patchSize(), gw = (int) images.size(3) / config.patchSize();
            Tensor pos = PositionEmbedding.resize(tables.get("decoder_pos_embed"), config.gridSize(), config.gridSize(), gh, gw);
            return withClassToken(patchEmbed(images)).add(pos);
        });
        return encode(z, trace);
    }

    /** Every encoder layer's intermediates on unmasked images (like {@code Crate.trace}). */
    public List<LayerTrace> trace(Tensor images) {
        List<LayerTrace> out = new ArrayList<>();
        encodeFeatures(images, out);
        return out;
    }

    /** The decoder: predicted patches (B, N, P²·C) from the latent (B, N+1, d); the class token is dropped. */
    public Tensor forwardDecoder(Tensor latent) {
        Tensor x = latent;
        for (int i = 0; i < config.decoderDepth(); i++) {
            final int layer = i;
            final Tensor in = x;
            x = Scopes.keep(() -> decoderBlock(layer, in));
        }
        final Tensor out = x;
        return Scopes.keep(() -> {
            Tensor y = Layers.layerNorm(out, p("decoder_norm.weight"), p("decoder_norm.bias"), FINAL_LN_EPS);
            y = Layers.linear(y, p("decoder_pred.weight"), p("decoder_pred.bias"));
            return y.narrow(1, 1, config.numPatches());
        });
    }

    /**
     * Mean squared error per patch against the patchified images (normalised per patch when
     * {@code normPixLoss}), averaged over the removed patches: Σ mask·mse / Σ mask.
     */
    public Tensor forwardLoss(Tensor images, Tensor pred, Tensor mask) {
        return Scopes.keep(() -> {
            Tensor target = targets(images);
            Tensor perPatch = pred.sub(target).pow(new Scalar(2.0)).mean(new long[] {-1}, false, new ScalarTypeOptional());
            return perPatch.mul(mask).sum().div(mask.sum());
        });
    }

    /**
     * Reconstructions to look at (no gradient). With {@code normPixLoss} the prediction lives in
     * per-patch normalised units; it is mapped back with each true patch's own mean and spread,
     * as the MAE visualisations do (so removed patches borrow their true statistics).
     */
    public Reconstruction reconstruct(Tensor images, Tensor noise) {
        try (NoGradGuard g = new NoGradGuard()) {
            Encoded e = forwardEncoder(images, noise);
            Tensor pred = forwardDecoder(e.latent());
            Tensor patches = Layers.patchify(images, config.patchSize());
            if (config.normPixLoss()) {
                pred = pred.mul(patchSpread(patches)).add(patchMean(patches));
            }
            Tensor removed = e.masking().removed();
            Tensor pasted = torch.where(removed, pred, patches);
            Tensor masked = patches.masked_fill(removed, new Scalar(0.0));
            return new Reconstruction(unpatchify(pred), unpatchify(pasted), unpatchify(masked), e.mask());
        }
    }

    /** Patches (B, N, P²·C) back to images (B, C, H, W); the inverse of {@code Layers.patchify}. */
    public Tensor unpatchify(Tensor patches) {
        long b = patches.size(0);
        int g = config.gridSize(), p = config.patchSize(), c = config.channels();
        return patches.reshape(b, g, g, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, (long) g * p, (long) g * p);
    }

    // ---------------------------------------------------------------- pieces

    /**
     * The reference's encoder input: kept patch tokens, mask tokens where patches were removed
     * (original order), class token in front, plus the fixed {@code decoder_pos_embed}. The
     * reference gathers the kept tokens, appends mask tokens and unshuffles; choosing per position
     * between the token and the mask token gives the same tensor.
     */
    private Tensor maskedInput(Tensor images, Masking masking) {
        Tensor x = torch.where(masking.removed(), p("mask_token"), patchEmbed(images));
        return withClassToken(x).add(tables.get("decoder_pos_embed"));
    }

    /** A P×P stride-P convolution: (B, C, H, W) → (B, N, d), patches in row-major order. */
    private Tensor patchEmbed(Tensor images) {
        long p = config.patchSize();
        Tensor x = torch.conv2d(images, p("patch_embed.proj.weight"), new TensorOptional(p("patch_embed.proj.bias")),
                new long[] {p, p}, new long[] {0, 0}, new long[] {1, 1}, 1);
        return x.flatten(2, 3).transpose(1, 2);
    }

    private Tensor withClassToken(Tensor x) {
        Tensor cls = p("cls_token").expand(x.size(0), 1, config.encoderDim());
        return torch.cat(new TensorVector(cls, x), 1);
    }

    /** The encoder layers then {@code norm}. */
    private Tensor encode(Tensor input, List<LayerTrace> trace) {
        Tensor z = input;
        for (int i = 0; i < config.encoderDepth(); i++) {
            final int layer = i;
            final Tensor in = z;
            z = Scopes.keep(() -> encoderBlock(layer, in, trace));
            if (trace != null) {
                LayerTrace t = trace.get(trace.size() - 1);
                Scopes.adopt(t.input(), t.subspaces(), t.attention(), t.compressed(), t.sparse());
            }
        }
        final Tensor out = z;
        return Scopes.keep(() -> Layers.layerNorm(out, p("norm.weight"), p("norm.bias"), FINAL_LN_EPS));
    }

    /** One encoder layer: Zh = Z + MSSA(LN₁(Z)) (or TSSA, by the config); Z = ISTA(LN₂(Zh)). */
    private Tensor encoderBlock(int i, Tensor z, List<LayerTrace> trace) {
        String pre = MaeConfig.encoderKey(i);
        Compressed c = compress(encoderMssa, encoderTssa, i, norm(z, pre + "0.norm"), trace != null);
        Tensor zh = z.add(c.out());
        Tensor out = encoderIsta.get(i).apply(norm(zh, pre + "1.norm"));
        if (trace != null) {
            trace.add(new LayerTrace(retained(z), retained(c.subspaces()), retained(c.attention()), retained(zh), retained(out)));
        }
        return out;
    }

    /** One decoder layer, the transposed step: Y = LN_a(X)·Dᵀ; X = Y − MSSA(LN_b(Y)) (or TSSA). */
    private Tensor decoderBlock(int i, Tensor x) {
        String pre = MaeConfig.decoderKey(i);
        Tensor y = Layers.linear(norm(x, pre + "0.norm"), p(pre + "0.fn.weight"), null);
        return y.sub(compress(decoderMssa, decoderTssa, i, norm(y, pre + "1.norm"), false).out());
    }

    /**
     * Layer {@code i}'s compression of x, from whichever list the config filled. Traced, TSSA's
     * attention is its token weights Π_h,n / Σ_n Π_h,n (B, h, 1, n), as the classifier traces them.
     */
    private static Compressed compress(List<Mssa> mssa, List<Tssa> tssa, int i, Tensor x, boolean traced) {
        if (!tssa.isEmpty()) {
            Tssa.Output t = tssa.get(i).apply(x, false);
            return new Compressed(t.out(), t.projections(), traced ? Tssa.tokenWeights(t.pi()) : null);
        }
        Mssa.Output m = mssa.get(i).apply(x, false, traced);
        return new Compressed(m.out(), m.subspaces(), m.attention());
    }

    /** Encoder layer {@code i}'s compression step when it is MSSA (null with TSSA; see {@link #encoderSubspaceBases}). */
    public Mssa encoderMssa(int i) {
        return encoderMssa.isEmpty() ? null : encoderMssa.get(i);
    }

    /** Encoder layer {@code i}'s subspace bases {@code qkv.weight} (h·k, d), whichever operator compresses with them. */
    public Tensor encoderSubspaceBases(int i) {
        return encoderMssa.isEmpty() ? encoderTssa.get(i).subspaceBases() : encoderMssa.get(i).subspaceBases();
    }

    /** Encoder layer {@code i}'s sparsification step. */
    public Ista encoderIsta(int i) {
        return encoderIsta.get(i);
    }

    /** The loss target: patches, or with normPixLoss (t − mean)/√(var + 1e-6), unbiased var per patch. */
    private Tensor targets(Tensor images) {
        Tensor t = Layers.patchify(images, config.patchSize());
        return config.normPixLoss() ? t.sub(patchMean(t)).div(patchSpread(t)) : t;
    }

    private static Tensor patchMean(Tensor patches) {
        return patches.mean(new long[] {-1}, true, new ScalarTypeOptional());
    }

    private static Tensor patchSpread(Tensor patches) {
        return patches.var(new long[] {-1}, true, true).add(new Scalar(PIX_EPS)).sqrt();
    }

    private Tensor norm(Tensor x, String prefix) {
        return Layers.layerNorm(x, p(prefix + ".weight"), p(prefix + ".bias"), BLOCK_LN_EPS);
    }

    private void checkInput(Tensor images, boolean exactSize) {
        if (images.dim() != 4 || images.size(1) != config.channels()) {
            throw new CrateException("model expects images (B, " + config.channels() + ", H, W), got " + Arrays.toString(Torch.shape(images)));
        }
        long h = images.size(2), w = images.size(3);
        if (exactSize && (h != config.imageSize() || w != config.imageSize())) {
            throw new CrateException("masked pre-training expects " + config.imageSize() + "x" + config.imageSize()
                    + " images (the size the position table was built for), got " + h + "x" + w);
        }
        if (h % config.patchSize() != 0 || w % config.patchSize() != 0) {
            throw new CrateException("image " + h + "x" + w + " is not divisible by the patch size " + config.patchSize());
        }
    }

    private static Tensor retained(Tensor t) {
        Tensor d = t.detach();
        d.retainReference();
        return d;
    }

    private Tensor p(String name) {
        return params.get(name);
    }
}

package org.crate4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;
import org.crate4j.engine.Scopes;
import org.crate4j.engine.Torch;

/**
 * The CRATE classifier (docs/architecture.md §1): patch embedding, L layers of compression (MSSA) then
 * sparsification (ISTA), pooling and a linear head (in two stages in the segmentation demo's
 * layout). Parameters carry the reference's names.
 */
public final class Crate extends AbstractClassifier<Crate, CrateConfig> {
    /** Which kernel computes softmax(U·Uᵀ/√k)·U when no attention matrix is asked for. */
    public enum AttentionKernel { MATMUL, SDPA, AUTO }

    private final List<Mssa> compression = new ArrayList<>();
    private final List<Ista> sparsification = new ArrayList<>();
    private AttentionKernel kernel = AttentionKernel.AUTO;
    private double patchDropout;

    private Crate(CrateConfig config, Parameters params, Device device) {
        super(config, params, device);
        for (int i = 0; i < config.depth(); i++) {
            String pre = CrateConfig.layerKey(i);
            compression.add(new Mssa(params, pre + "0.fn.", config.heads(), config.dropout(), config.mssaProjection()));
            sparsification.add(new Ista(params, pre + "1.fn.weight", config.eta(), config.lambda()));
        }
    }

    /** A new model on the CPU; see {@link #create(CrateConfig, Device)}. */
    public static Crate create(CrateConfig config) {
        return create(config, Device.CPU);
    }

    /** A new model on {@code device} with the reference's initialisation (drawn on the CPU, see {@link Init}). */
    public static Crate create(CrateConfig config, Device device) {
        Torch.init();
        return new Crate(config, Init.reference(config.parameterSpecs()), Device.CPU).to(device);
    }

    /** A model around given tensors (already checked against the config's shapes), on their device. */
    public static Crate fromTensors(CrateConfig config, Map<String, Tensor> tensors) {
        return fromTensors(config, tensors, Device.of(tensors.get(config.parameterShapes().keySet().iterator().next())));
    }

    /** A model around copies of the given tensors on {@code device} (the tensors themselves when already there). */
    public static Crate fromTensors(CrateConfig config, Map<String, Tensor> tensors, Device device) {
        Parameters p = new Parameters();
        for (String name : config.parameterShapes().keySet()) {
            p.put(name, Torch.onDevice(tensors.get(name).detach(), device).requires_grad_(true));
        }
        return new Crate(config, p, device);
    }

    @Override public String familyName() { return "CRATE"; }

    /** The pooled (B, d) vector the head reads. */
    @Override
    public Tensor features(Tensor images) {
        return byRows(images, x -> pooled(forwardFeatures(x, null)));
    }

    @Override public String format() { return CrateWeights.FORMAT; }
    @Override public String configJson() { return ConfigJson.toJson(config); }

    /** Compared as configs, so that files written before a field existed (read with its default) still match. */
    @Override
    public boolean sameConfig(String json) {
        return json != null && ConfigJson.fromJson(json).equals(config);
    }

    @Override
    public List<LayerTrace> layerTraces(Tensor images) {
        return trace(images);
    }

    public Crate attentionKernel(AttentionKernel k) { kernel = k; return this; }

    /**
     * PatchDropout (Liu et al., 2022): in training, each image keeps a random
     * {@code round(N × (1 − rate))} of its N patch tokens (at least one) after the position
     * embedding is added, so later layers see fewer tokens and train faster. The class token is
     * always kept; evaluation and tracing use every patch. 0 turns it off.
     */
    public Crate patchDropout(double rate) {
        if (!(rate >= 0 && rate < 1)) {
            throw new org.crate4j.CrateException("patch dropout must be in [0, 1), got " + rate);
        }
        patchDropout = rate;
        return this;
    }

    public double patchDropout() { return patchDropout; }

    @Override
    public boolean rowsIndependentInTraining() {
        return config.dropout() == 0 && config.embDropout() == 0 && patchDropout == 0;
    }

    /** How many of {@code patches} tokens an image keeps at patch-dropout {@code rate}: round(N × (1 − rate)), at least one. */
    public static long keptPatches(long patches, double rate) {
        return Math.max(1, Math.round(patches * (1 - rate)));
    }

    /**
     * Logits (B, classes) for images (B, C, H, W). With class-token pooling the head reads only
     * the class token of the last layer, so that layer is computed for it alone (its MSSA still
     * attends over every token): the same logits for 1/n of the last layer's attention, projection
     * and ISTA work, forward and backward.
     */
    public Tensor forward(Tensor images) {
        return byRows(images, this::logits);
    }

    private Tensor logits(Tensor images) {
        if (config.pool() != Pooling.CLS || config.attention() != Attention.MSSA) {
            return forwardHead(forwardFeatures(images, null));
        }
        int last = config.depth() - 1;
        Tensor z = layers(images, null, last);
        return forwardHead(Scopes.keep(() -> classTokenLayer(last, z)));
    }

    /**
     * The token sequence after the last layer, (B, 1 + N, d). Images of another size than the
     * config's get a bicubically resized position embedding. When {@code trace} is non-null every
     * layer's intermediates are appended to it.
     */
    public Tensor forwardFeatures(Tensor images, List<LayerTrace> trace) {
        return layers(images, trace, config.depth());
    }

    /** The tokens after the embedding and the first {@code count} layers. */
    private Tensor layers(Tensor images, List<LayerTrace> trace, int count) {
        Tensor z = Scopes.keep(() -> embed(images));
        return layers(z, count, trace, this::layer,
                t -> new Tensor[] {t.input(), t.subspaces(), t.attention(), t.compressed(), t.sparse()});
    }

    /**
     * Pools (class token or mean) and applies the head: LN then Linear, then the second Linear
     * {@code head} when the config has one (the segmentation demo's two-stage classifier, no
     * nonlinearity between the stages).
     */
    public Tensor forwardHead(Tensor features) {
        Tensor pooled = pooled(features);
        Tensor y = Layers.linear(Layers.layerNorm(pooled, p("mlp_head.0.weight"), p("mlp_head.0.bias"), Layers.LN_EPS),
                p("mlp_head.1.weight"), p("mlp_head.1.bias"));
        return config.twoStageHead() ? Layers.linear(y, p("head.weight"), p("head.bias")) : y;
    }

    /** The (B, d) vector the head reads from the last layer's tokens: the class token, or the mean of all tokens. */
    public Tensor pooled(Tensor features) {
        return OpProfiler.time(Kind.OTHER, () -> config.pool() == Pooling.MEAN
                ? features.mean(new long[] {1}, false, new org.bytedeco.pytorch.ScalarTypeOptional()) : features.select(1, 0));
    }

    /** Runs the model and returns every layer's intermediates. */
    public List<LayerTrace> trace(Tensor images) {
        List<LayerTrace> out = new ArrayList<>();
        forwardFeatures(images, out);
        return out;
    }

    /** Patch embedding (of overlapping windows when K > P, through their sparse code when N > 0), class token, position embedding: (B, 1 + N, d). */
    Tensor embed(Tensor images) {
        checkImages(images, "model", config.channels(), config.patchSize());
        int gh = (int) images.size(2) / config.patchSize(), gw = (int) images.size(3) / config.patchSize();
        Tensor x = Layers.patchWindows(images, config.patchSize(), config.patchWindow());
        x = Layers.layerNorm(x, p("to_patch_embedding.1.weight"), p("to_patch_embedding.1.bias"), Layers.LN_EPS);
        if (config.patchCode() > 0) {
            x = Layers.patchCode(x, p("to_patch_embedding.code.weight"), p("to_patch_embedding.code.bias"));
        }
        x = Layers.linear(x, p("to_patch_embedding.2.weight"), p("to_patch_embedding.2.bias"));
        x = Layers.layerNorm(x, p("to_patch_embedding.3.weight"), p("to_patch_embedding.3.bias"), Layers.LN_EPS);
        Tensor pos = PositionEmbedding.resize(p("pos_embedding"), config.gridHeight(), config.gridWidth(), gh, gw);
        // (class token, patches) + pos, added part by part so that patches can be dropped after it
        x = Layers.add(x, pos.narrow(1, 1, x.size(1)));
        if (isTraining() && patchDropout > 0) {
            x = keepRandomPatches(x, keptPatches(x.size(1), patchDropout));
        }
        Tensor cls = p("cls_token").add(pos.narrow(1, 0, 1)).expand(x.size(0), 1, config.dim());
        Tensor patches = x;
        x = OpProfiler.time(Kind.COPY, () -> torch.cat(new org.bytedeco.pytorch.TensorVector(cls, patches), 1));
        return dropout(x, config.embDropout());
    }

    /** Per image, {@code keep} of the tokens (B, N, d) chosen uniformly at random from the device's generator. */
    private Tensor keepRandomPatches(Tensor x, long keep) {
        long b = x.size(0), n = x.size(1), d = x.size(2);
        if (keep >= n) {
            return x;
        }
        Tensor noise = Torch.rand(device(), b, n);
        Tensor idx = noise.argsort(1, false).narrow(1, 0, keep);
        return x.gather(1, idx.unsqueeze(-1).expand(b, keep, d));
    }

    /** One layer: Zh = Z + MSSA(LN₁(Z)) (or TSSA, by the config); Z = ISTA(LN₂(Zh)). */
    Tensor layer(int i, Tensor z, List<LayerTrace> trace) {
        String pre = CrateConfig.layerKey(i);
        if (config.attention() == Attention.TSSA) {
            return tssaLayer(i, pre, z, trace);
        }
        Mssa.Output mssa = compression.get(i).apply(norm(z, pre + "0.norm"), isTraining(), trace != null || !useSdpa());
        Tensor zh = Layers.add(z, mssa.out());
        Tensor out = sparsification.get(i).apply(norm(zh, pre + "1.norm"));
        if (trace != null) {
            trace.add(new LayerTrace(retained(z), retained(mssa.subspaces()), retained(mssa.attention()), retained(zh), retained(out)));
        }
        return out;
    }

    /** Layer {@code i}'s output for the class token alone, (B, 1, d) (see {@link #forward}). */
    private Tensor classTokenLayer(int i, Tensor z) {
        String pre = CrateConfig.layerKey(i);
        Mssa.Output mssa = compression.get(i).apply(norm(z, pre + "0.norm"), isTraining(), !useSdpa(), 1);
        Tensor zh = Layers.add(z.narrow(1, 0, 1), mssa.out());
        return sparsification.get(i).apply(norm(zh, pre + "1.norm"));
    }

    /**
     * Zh = Z + TSSA(LN₁(Z)); Z = ISTA(LN₂(Zh)). The trace's subspaces are TSSA's projections w, and
     * its attention is the class token's row of TSSA's token weights, (B, h, 1, n): per head
     * Π_h,n / Σ_n Π_h,n, the weights of the head's second moment (see {@link Tssa}).
     */
    private Tensor tssaLayer(int i, String pre, Tensor z, List<LayerTrace> trace) {
        Tssa.Output t = tssa(i).apply(norm(z, pre + "0.norm"), isTraining());
        Tensor zh = Layers.add(z, t.out());
        Tensor out = sparsification.get(i).apply(norm(zh, pre + "1.norm"));
        if (trace != null) {
            trace.add(new LayerTrace(retained(z), retained(t.projections()), retained(Tssa.tokenWeights(t.pi())), retained(zh),
                    retained(out)));
        }
        return out;
    }

    /** Layer {@code i}'s compression step when it is MSSA (null with TSSA; see {@link #subspaceBases}). */
    public Mssa mssa(int i) {
        return config.attention() == Attention.MSSA ? compression.get(i) : null;
    }

    /** Layer {@code i}'s TSSA, when the config compresses with it. */
    Tssa tssa(int i) {
        return new Tssa(parameters(), CrateConfig.layerKey(i) + "0.fn.", config.heads(), config.dropout(), config.dropout());
    }

    /** Layer {@code i}'s subspace bases, {@code qkv.weight} (h·k, d), whichever operator compresses with them. */
    public Tensor subspaceBases(int i) {
        return config.attention() == Attention.MSSA ? compression.get(i).subspaceBases() : tssa(i).subspaceBases();
    }

    /** Layer {@code i}'s sparsification step (its dictionary D). */
    public Ista ista(int i) {
        return sparsification.get(i);
    }

    private Tensor norm(Tensor x, String prefix) {
        return Layers.layerNorm(x, p(prefix + ".weight"), p(prefix + ".bias"), Layers.LN_EPS);
    }

    boolean useSdpa() {
        switch (kernel) {
            case SDPA: return true;
            case MATMUL: return false;
            // Measured on the project's 2-core AVX2 machine (crate bench --attention matmul|sdpa, fp32):
            // SDPA is faster in training as well as inference, 1.48x for the Fashion-MNIST model
            // (17 tokens) and 1.19x for crate-tiny (197 tokens), and keeps less for backward;
            // except where FusedAttention says its backward is slow.
            default: return FusedAttention.suits(isTraining(), device().isCuda());
        }
    }

    private Tensor dropout(Tensor x, double rate) {
        return isTraining() && rate > 0 ? torch.dropout(x, rate, true) : x;
    }


    static Scalar scalar(double v) {
        return new Scalar(v);
    }
}

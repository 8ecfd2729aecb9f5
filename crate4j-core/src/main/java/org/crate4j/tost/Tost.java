package org.crate4j.tost;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Scopes;
import org.crate4j.engine.Torch;
import org.crate4j.model.AbstractClassifier;
import org.crate4j.model.LayerTrace;
import org.crate4j.model.Layers;
import org.crate4j.model.ParameterKind;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Parameters;
import org.crate4j.model.Tssa;

/**
 * A ToST vision model (Wu et al., ICLR 2025): a convolutional patch stem, a Fourier position
 * encoding, blocks of TSSA and an MLP with layer scales, class-attention blocks that gather the
 * class token, a final LayerNorm and a linear head. Its tensors carry the reference's state-dict
 * names; BatchNorm's running statistics are kept apart from the trainable {@link #parameters()}.
 */
public final class Tost extends AbstractClassifier<Tost, TostConfig> {
    private final Map<String, Tensor> stateDict;
    private final Map<String, ParameterKind> kinds;
    private final Map<String, Tensor> statistics;
    private final ConvStem stem;
    private final List<TostBlock> blocks = new ArrayList<>();
    private final List<ClassAttentionBlock> classBlocks = new ArrayList<>();

    private Tost(TostConfig config, Map<String, Tensor> stateDict, Map<String, ParameterKind> kinds) {
        super(config, Parameters.of(tensorsWhere(stateDict, kinds, true)),
                stateDict.isEmpty() ? Device.CPU : Device.of(stateDict.values().iterator().next()));
        this.stateDict = Collections.unmodifiableMap(stateDict);
        this.kinds = Collections.unmodifiableMap(kinds);
        this.statistics = Collections.unmodifiableMap(tensorsWhere(stateDict, kinds, false));
        this.stem = new ConvStem(parameters(), statistics, config.stemChannels().length);
        for (int i = 0; i < config.depth(); i++) {
            blocks.add(new TostBlock(parameters(), i, config));
        }
        for (int j = 0; j < config.classAttentionLayers(); j++) {
            classBlocks.add(new ClassAttentionBlock(parameters(), j, config));
        }
    }

    /** The tensors whose kind is trainable ({@code trainable}) or not (BatchNorm's statistics), in order. */
    private static Map<String, Tensor> tensorsWhere(Map<String, Tensor> stateDict, Map<String, ParameterKind> kinds, boolean trainable) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        stateDict.forEach((k, t) -> {
            if (kinds.get(k).trainable() == trainable) {
                out.put(k, t);
            }
        });
        return out;
    }

    /** A new model with the reference's initialisation (see {@link TostLayout}), drawn from libtorch's RNG. */
    public static Tost create(TostConfig config) {
        Torch.init();
        Map<String, Tensor> t = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (ParameterSpec s : config.parameterSpecs()) {
                t.put(s.name(), s.init().create(s.shape()));
            }
        }
        return fromTensors(config, t);
    }

    /** A new model on {@code device}: drawn on the CPU, as {@link #create(TostConfig)}, then moved. */
    public static Tost create(TostConfig config, Device device) {
        return create(config).to(device);
    }

    /** A model around given tensors, one per key of {@link TostConfig#parameterSpecs()} (shapes already checked). */
    public static Tost fromTensors(TostConfig config, Map<String, Tensor> tensors) {
        Map<String, Tensor> all = new LinkedHashMap<>();
        Map<String, ParameterKind> kinds = new LinkedHashMap<>();
        for (ParameterSpec s : config.parameterSpecs()) {
            Tensor t = tensors.get(s.name());
            if (t == null) {
                throw new IllegalArgumentException("no tensor for " + s.name());
            }
            Tensor own = s.kind().trainable() ? t.detach().requires_grad_(true) : t.detach().clone();
            if (!s.kind().trainable()) {
                own.retainReference(); // trainable ones are retained by Parameters
            }
            all.put(s.name(), own);
            kinds.put(s.name(), s.kind());
        }
        return new Tost(config, all, kinds);
    }

    /** BatchNorm's running mean, variance and batch count by reference key; updated by training forwards. */
    public Map<String, Tensor> statistics() { return statistics; }

    /** Every tensor by reference key in the reference's order: what a checkpoint holds. */
    public Map<String, Tensor> stateDict() { return stateDict; }

    /** Each tensor's kind by reference key: weight decay applies to {@link ParameterKind#decays()} ones only. */
    public Map<String, ParameterKind> kinds() { return kinds; }

    @Override public String familyName() { return "ToST"; }

    @Override public Tensor features(Tensor images) { return byRows(images, this::forwardFeatures); }

    /** Moves every tensor, running statistics included. */
    @Override
    protected void moveTensors(Device target) {
        Parameters.moveTo(stateDict.values(), target);
    }

    @Override public String format() { return TostWeights.FORMAT; }
    @Override public String configJson() { return TostConfigJson.toJson(config); }

    /**
     * The TSSA blocks in the shared form. ToST's blocks carry no class token (it joins in the
     * class-attention blocks), so every token is a patch: {@code subspaces} are TSSA's projections
     * w, {@code sparse} is the block's output. TSSA compares no pairs of tokens, so in place of
     * the class token's attention row, {@code attention} (B, h, 1, 1 + N) holds per head the token
     * weights Π_h,n / Σ_n Π_h,n with which TSSA averages each head's second moment (Eq. 10; they
     * sum to 1 over the tokens as an attention row does), behind a 0 for the absent class token.
     */
    @Override
    public List<LayerTrace> layerTraces(Tensor images) {
        List<LayerTrace> out = new ArrayList<>();
        for (TostTrace.Block b : trace(images).blocks()) {
            out.add(new LayerTrace(b.input(), b.projections(), classTokenSlot(Tssa.tokenWeights(b.pi())), b.compressed(), b.output()));
        }
        return out;
    }

    /** (B, h, 1, N) → (B, h, 1, 1 + N): a 0 in front for the class token ToST's blocks do not carry. */
    private static Tensor classTokenSlot(Tensor row) {
        Tensor padded = torch.cat(new TensorVector(torch.zeros_like(row.narrow(3, 0, 1)), row), 3);
        padded.retainReference();
        return padded;
    }

    /**
     * Training mode: BatchNorm normalises by each batch's statistics and updates its running ones;
     * dropout and drop-path act at the config's rates (0 unless set). Off: running statistics.
     */
    @Override
    public Tost train(boolean on) {
        return super.train(on);
    }

    /** Logits (B, classes) for images (B, C, H, W). */
    public Tensor forward(Tensor images) {
        return byRows(images, x -> run(x, false).logits());
    }

    /** The normalised class token the head reads, (B, d). */
    public Tensor forwardFeatures(Tensor images) {
        return run(images, false).features();
    }

    /** Runs the model and keeps every block's intermediates (detached), including TSSA's Π. */
    public TostTrace trace(Tensor images) {
        return run(images, true);
    }

    private TostTrace run(Tensor images, boolean keep) {
        checkImages(images, "model", config.channels(), 0);
        Tensor x = Scopes.keep(() -> embed(images));
        Tensor embedded = keep ? retained(x) : null;
        List<TostTrace.Block> blockTraces = new ArrayList<>();
        for (TostBlock block : blocks) {
            Tensor in = x;
            TostTrace.Block[] seen = new TostTrace.Block[1];
            x = Scopes.keep(() -> {
                TostTrace.Block b = block.apply(in, isTraining());
                seen[0] = keep ? new TostTrace.Block(retained(b.input()), retained(b.projections()), retained(b.pi()),
                        retained(b.compressed()), retained(b.output())) : null;
                return b.output();
            });
            if (keep) {
                TostTrace.Block b = seen[0];
                Scopes.adopt(b.input(), b.projections(), b.pi(), b.compressed(), b.output());
                blockTraces.add(b);
            }
        }
        Tensor cls = p(TostLayout.CLS_TOKEN).expand(x.size(0), 1, config.dim());
        x = torch.cat(new TensorVector(cls, x), 1);
        List<TostTrace.ClassAttention> classTraces = new ArrayList<>();
        for (ClassAttentionBlock block : classBlocks) {
            Tensor in = x;
            TostTrace.ClassAttention[] seen = new TostTrace.ClassAttention[1];
            x = Scopes.keep(() -> {
                TostTrace.ClassAttention c = block.apply(in, isTraining());
                seen[0] = keep ? new TostTrace.ClassAttention(retained(c.attention()), retained(c.output())) : null;
                return c.output();
            });
            if (keep) {
                Scopes.adopt(seen[0].attention(), seen[0].output());
                classTraces.add(seen[0]);
            }
        }
        Tensor features = TostLayers.layerNorm(x, parameters(), "norm.").select(1, 0);
        Tensor logits = TostLayers.linear(features, parameters(), TostLayout.HEAD);
        return new TostTrace(embedded, blockTraces, classTraces, keep ? features.detach() : features, logits);
    }

    /** Stem, tokens in row-major order, plus the Fourier position encoding: (B, N, d). */
    private Tensor embed(Tensor images) {
        Tensor grid = stem.apply(images, isTraining());
        int hp = (int) grid.size(2), wp = (int) grid.size(3);
        Tensor x = grid.flatten(2, 3).transpose(1, 2);
        if (config.positions()) {
            Tensor w = p(TostLayout.POS_PROJECTION + "weight");
            // the 1×1 convolution of the (64, hp, wp) feature map is a linear map of each token's 64 features
            Tensor features = TostLayers.fourierFeatures(hp, wp, Device.of(w)).to(w.scalar_type());
            x = x.add(Layers.linear(features, w.view(w.size(0), w.size(1)), p(TostLayout.POS_PROJECTION + "bias")));
        }
        return TostLayers.dropout(x, config.dropout(), isTraining());
    }
}

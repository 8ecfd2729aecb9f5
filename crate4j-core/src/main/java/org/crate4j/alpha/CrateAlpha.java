package org.crate4j.alpha;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Scopes;
import org.crate4j.engine.Torch;
import org.crate4j.model.AbstractClassifier;
import org.crate4j.model.ConvStem;
import org.crate4j.model.LayerTrace;
import org.crate4j.model.Layers;
import org.crate4j.model.Mssa;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Parameters;
import org.crate4j.model.PositionEmbedding;

/**
 * The CRATE-α classifier: a convolutional patch stem, class token and learned positions, L layers
 * of compression (MSSA) then sparsification (ODL), each with a residual, and class-token pooling
 * into a LayerNorm + Linear head. Parameters carry the reference's state-dict keys.
 */
public final class CrateAlpha extends AbstractClassifier<CrateAlpha, AlphaConfig> {
    private final List<Mssa> compression = new ArrayList<>();

    private CrateAlpha(AlphaConfig config, Parameters params) {
        super(config, params);
        for (int i = 0; i < config.depth(); i++) {
            compression.add(new Mssa(params, AlphaKeys.mssa(i), config.heads(), config.dropout(), config.mssaProjection()));
        }
    }

    /** A new model with the reference's initialisation ({@link AlphaInit}), drawn from libtorch's RNG. */
    public static CrateAlpha create(AlphaConfig config) {
        Torch.init();
        return new CrateAlpha(config, AlphaInit.reference(config.parameterSpecs()));
    }

    /** A new model on {@code device}: drawn on the CPU, as {@link #create(AlphaConfig)}, then moved. */
    public static CrateAlpha create(AlphaConfig config, Device device) {
        return create(config).to(device);
    }

    /** A model around given tensors, one per spec of the config (already checked against its shapes). */
    public static CrateAlpha fromTensors(AlphaConfig config, Map<String, Tensor> tensors) {
        return new CrateAlpha(config, trainable(config.parameterSpecs(), tensors, "CRATE-α"));
    }

    @Override public String familyName() { return "CRATE-α"; }

    @Override public boolean rowsIndependentInTraining() { return config.dropout() == 0; }

    /** The (B, d) vector the head reads. */
    @Override
    public Tensor features(Tensor images) {
        return byRows(images, x -> pooled(forwardFeatures(x, null)));
    }

    @Override public String format() { return AlphaWeights.FORMAT; }
    @Override public String configJson() { return AlphaWeights.toJson(config); }

    /** Name, shape and kind of every parameter: what initialisation and weight decay follow. */
    public List<ParameterSpec> specs() { return config.parameterSpecs(); }
    /** Layer {@code i}'s compression step. */
    public Mssa mssa(int i) { return compression.get(i); }

    /** Layer {@code i}'s sparsification step, over the current D and D1. */
    public Odl odl(int i) {
        return new Odl(p(AlphaKeys.dictionary(i)), p(AlphaKeys.synthesis(i)), config.eta(), config.lambda());
    }

    /** Logits (B, classes) for images (B, C, H, W). */
    public Tensor forward(Tensor images) {
        return byRows(images, x -> forwardHead(forwardFeatures(x, null)));
    }

    /**
     * The tokens after the last layer, (B, 1 + N, d). Images of another size than the config's get
     * a bicubically resized position embedding. When {@code trace} is non-null every layer's
     * intermediates are appended to it.
     */
    public Tensor forwardFeatures(Tensor images, List<AlphaLayerTrace> trace) {
        Tensor z = Scopes.keep(() -> embed(images));
        return layers(z, config.depth(), trace, this::layer, AlphaLayerTrace::tensors);
    }

    /** The class token through {@code mlp_head}: LN (torch's default eps) then Linear. */
    public Tensor forwardHead(Tensor features) {
        Tensor pooled = pooled(features);
        Tensor normed = Layers.layerNorm(pooled, p(AlphaKeys.HEAD_NORM + ".weight"), p(AlphaKeys.HEAD_NORM + ".bias"),
                AlphaConfig.HEAD_LN_EPS);
        return Layers.linear(normed, p(AlphaKeys.HEAD_WEIGHT), p(AlphaKeys.HEAD_BIAS));
    }

    /** The (B, d) vector the head reads: the class token of the last layer. */
    public Tensor pooled(Tensor features) {
        return features.select(1, 0);
    }

    /** Runs the model and returns every layer's intermediates. */
    public List<AlphaLayerTrace> trace(Tensor images) {
        List<AlphaLayerTrace> out = new ArrayList<>();
        forwardFeatures(images, out);
        return out;
    }

    /** The traces in the shared form the analysis reads ({@code sparse} is the ODL code z₂). */
    public List<LayerTrace> layerTraces(Tensor images) {
        List<LayerTrace> out = new ArrayList<>();
        for (AlphaLayerTrace t : trace(images)) {
            out.add(t.toLayerTrace());
        }
        return out;
    }

    /** conv1, class token in front, position embedding added: (B, 1 + N, d). */
    Tensor embed(Tensor images) {
        checkImages(images, "CRATE-α", config.channels(), config.patchSize());
        int gh = (int) images.size(2) / config.patchSize(), gw = (int) images.size(3) / config.patchSize();
        Tensor x = ConvStem.apply(images, p(AlphaKeys.STEM_WEIGHT), p(AlphaKeys.STEM_BIAS), config.patchSize());
        Tensor cls = p(AlphaKeys.CLASS_TOKEN).expand(x.size(0), 1, config.dim());
        Tensor pos = PositionEmbedding.resize(p(AlphaKeys.POSITIONS), config.gridHeight(), config.gridWidth(), gh, gw);
        return torch.cat(new TensorVector(cls, x), 1).add(pos);
    }

    /** One layer: Zh = Z + MSSA(LN₁(Z)); Z' = Zh + ODL(LN₂(Zh)). */
    Tensor layer(int i, Tensor z, List<AlphaLayerTrace> trace) {
        Mssa.Output mssa = compression.get(i).apply(norm(z, AlphaKeys.mssaNorm(i)), isTraining(), trace != null);
        Tensor u = mssa.subspaces(), attention = mssa.attention();
        Tensor zh = z.add(mssa.out());
        Odl odl = odl(i);
        Odl.Code code = odl.sparseCode(norm(zh, AlphaKeys.odlNorm(i)));
        Tensor out = zh.add(odl.decode(code.code()));
        if (trace != null) {
            trace.add(new AlphaLayerTrace(retained(z), retained(u), retained(attention), retained(zh),
                    retained(code.firstStep()), retained(code.code()), retained(out)));
        }
        return out;
    }

    private Tensor norm(Tensor x, String prefix) {
        return Layers.layerNorm(x, p(prefix + ".weight"), p(prefix + ".bias"), AlphaConfig.LN_EPS);
    }

}

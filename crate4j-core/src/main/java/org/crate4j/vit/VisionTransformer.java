package org.crate4j.vit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Scopes;
import org.crate4j.engine.Torch;
import org.crate4j.model.AbstractClassifier;
import org.crate4j.model.ConvStem;
import org.crate4j.model.FusedAttention;
import org.crate4j.model.LayerTrace;
import org.crate4j.model.Layers;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Parameters;
import org.crate4j.model.PositionEmbedding;

/**
 * The ViT baseline in timm's layout: convolutional patch stem, class token, learned positions,
 * L pre-norm blocks {@code x = x + Attention(LN₁(x)); x = x + MLP(LN₂(x))}, a final LayerNorm,
 * and the class token into a Linear head. Parameters carry timm's state-dict keys.
 */
public final class VisionTransformer extends AbstractClassifier<VisionTransformer, VitConfig> {

    private VisionTransformer(VitConfig config, Parameters params) {
        super(config, params);
    }

    /** A new model with timm's default initialisation ({@link VitInit}), drawn from libtorch's RNG. */
    public static VisionTransformer create(VitConfig config) {
        Torch.init();
        return new VisionTransformer(config, VitInit.reference(config.parameterSpecs()));
    }

    /** A new model on {@code device}: drawn on the CPU, as {@link #create(VitConfig)}, then moved. */
    public static VisionTransformer create(VitConfig config, Device device) {
        return create(config).to(device);
    }

    /** A model around given tensors, one per spec of the config (already checked against its shapes). */
    public static VisionTransformer fromTensors(VitConfig config, Map<String, Tensor> tensors) {
        return new VisionTransformer(config, trainable(config.parameterSpecs(), tensors, "ViT"));
    }

    @Override public String familyName() { return "ViT"; }

    @Override public boolean rowsIndependentInTraining() { return config.dropout() == 0 && config.attentionDropout() == 0; }

    /** The (B, d) vector the head reads. */
    @Override
    public Tensor features(Tensor images) {
        return byRows(images, x -> pooled(forwardFeatures(x, null)));
    }

    @Override public String format() { return VitWeights.FORMAT; }
    @Override public String configJson() { return VitWeights.toJson(config); }

    /** Name, shape and kind of every parameter: what initialisation and weight decay follow. */
    public List<ParameterSpec> specs() { return config.parameterSpecs(); }

    /** Logits (B, classes) for images (B, C, H, W). */
    public Tensor forward(Tensor images) {
        return byRows(images, x -> forwardHead(forwardFeatures(x, null)));
    }

    /**
     * timm's forward_features: the tokens after the last block and the final norm, (B, 1 + N, d).
     * Images of another size than the config's get a bicubically resized position embedding. When
     * {@code trace} is non-null every block's intermediates are appended to it (before the norm).
     */
    public Tensor forwardFeatures(Tensor images, List<VitLayerTrace> trace) {
        Tensor x = Scopes.keep(() -> embed(images));
        Tensor out = layers(x, config.depth(), trace, this::block, VitLayerTrace::tensors);
        return Scopes.keep(() -> norm(out, VitKeys.FINAL_NORM));
    }

    /** The class token of the normed features through the Linear head. */
    public Tensor forwardHead(Tensor features) {
        return Layers.linear(pooled(features), p(VitKeys.weight(VitKeys.HEAD)), p(VitKeys.bias(VitKeys.HEAD)));
    }

    /** The (B, d) vector the head reads: the class token. */
    public Tensor pooled(Tensor features) {
        return features.select(1, 0);
    }

    public List<VitLayerTrace> trace(Tensor images) {
        List<VitLayerTrace> out = new ArrayList<>();
        forwardFeatures(images, out);
        return out;
    }

    /** The traces in the shared form the analysis reads (keys as subspaces, the MLP hidden as the code). */
    public List<LayerTrace> layerTraces(Tensor images) {
        List<LayerTrace> out = new ArrayList<>();
        for (VitLayerTrace t : trace(images)) {
            out.add(t.toLayerTrace());
        }
        return out;
    }

    /** patch_embed, class token in front, pos_embed added: (B, 1 + N, d). */
    Tensor embed(Tensor images) {
        checkImages(images, "ViT", config.channels(), config.patchSize());
        int gh = (int) images.size(2) / config.patchSize(), gw = (int) images.size(3) / config.patchSize();
        Tensor x = ConvStem.apply(images, p(VitKeys.weight(VitKeys.STEM)), p(VitKeys.bias(VitKeys.STEM)), config.patchSize());
        Tensor cls = p(VitKeys.CLASS_TOKEN).expand(x.size(0), 1, config.dim());
        Tensor pos = PositionEmbedding.resize(p(VitKeys.POSITIONS), config.gridHeight(), config.gridWidth(), gh, gw);
        return torch.cat(new TensorVector(cls, x), 1).add(pos);
    }

    /** One block: X' = X + Attention(LN₁(X)); X'' = X' + MLP(LN₂(X')). */
    Tensor block(int i, Tensor x, List<VitLayerTrace> trace) {
        SelfAttention attn = new SelfAttention(p(VitKeys.weight(VitKeys.qkv(i))), p(VitKeys.bias(VitKeys.qkv(i))),
                p(VitKeys.weight(VitKeys.proj(i))), p(VitKeys.bias(VitKeys.proj(i))), config.heads());
        SelfAttention.Heads qkv = attn.project(norm(x, VitKeys.norm1(i)));
        Tensor attention = null;
        Tensor attended;
        if (trace != null || !FusedAttention.suits(qkv.queries())) {
            attention = dropout(SelfAttention.attention(qkv.queries(), qkv.keys()), config.attentionDropout());
            attended = torch.matmul(attention, qkv.values());
        } else {
            attended = torch.scaled_dot_product_attention(qkv.queries(), qkv.keys(), qkv.values(), new TensorOptional(),
                    isTraining() ? config.attentionDropout() : 0.0, false, new DoubleOptional(), false);
        }
        Tensor x1 = x.add(dropout(attn.output(attended), config.dropout()));
        GeluMlp mlp = new GeluMlp(p(VitKeys.weight(VitKeys.fc1(i))), p(VitKeys.bias(VitKeys.fc1(i))),
                p(VitKeys.weight(VitKeys.fc2(i))), p(VitKeys.bias(VitKeys.fc2(i))));
        Tensor hidden = mlp.hidden(norm(x1, VitKeys.norm2(i)));
        Tensor out = x1.add(dropout(mlp.output(dropout(hidden, config.dropout())), config.dropout()));
        if (trace != null) {
            trace.add(new VitLayerTrace(retained(x), retained(qkv.queries()), retained(qkv.keys()), retained(qkv.values()),
                    retained(attention), retained(x1), retained(hidden), retained(out)));
        }
        return out;
    }

    private Tensor norm(Tensor x, String layer) {
        return Layers.layerNorm(x, p(VitKeys.weight(layer)), p(VitKeys.bias(layer)), VitConfig.LN_EPS);
    }

    private Tensor dropout(Tensor x, double rate) {
        return isTraining() && rate > 0 ? torch.dropout(x, rate, true) : x;
    }

}

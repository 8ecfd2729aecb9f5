package org.crate4j.tost;

import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.Parameters;
import org.crate4j.model.Tssa;

/**
 * One ToST block: a compression step (TSSA) and an MLP, each on a pre-normalised residual branch
 * scaled per channel by its layer scale γ (CaiT). XCiT's block has a third step between them,
 * local patch interaction (a depthwise convolution); the ToST reference has it commented out, so
 * its blocks, and these, have two.
 */
final class TostBlock {
    private final Parameters params;
    private final String prefix;
    private final Tssa tssa;
    private final TostConfig config;

    TostBlock(Parameters params, int index, TostConfig config) {
        this.params = params;
        this.prefix = TostLayout.block(index);
        this.config = config;
        this.tssa = new Tssa(params, prefix + "attn.", config.heads(), config.attentionDropout(), config.dropout());
    }

    /** z ← z + γ₁ ⊙ TSSA(LN₁(z)); z ← z + γ₂ ⊙ MLP(LN₂(z)), each branch under drop-path. */
    TostTrace.Block apply(Tensor z, boolean training) {
        Tssa.Output t = tssa.apply(TostLayers.layerNorm(z, params, prefix + "norm1."), training);
        Tensor compressed = z.add(TostLayers.dropPath(t.out().mul(params.get(prefix + "gamma1")), config.dropPath(), training));
        Tensor mlp = TostLayers.mlp(TostLayers.layerNorm(compressed, params, prefix + "norm2."), params, prefix + "mlp.",
                config.dropout(), training);
        Tensor out = compressed.add(TostLayers.dropPath(mlp.mul(params.get(prefix + "gamma2")), config.dropPath(), training));
        return new TostTrace.Block(z, t.projections(), t.pi(), compressed, out);
    }
}

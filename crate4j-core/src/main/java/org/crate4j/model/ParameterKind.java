package org.crate4j.model;

/**
 * What a model tensor is for, after DJL's parameter types: initialisation and weight decay follow
 * the kind, not the spelling of the name. Only {@link #WEIGHT} decays (the rule timm's and
 * nanoGPT's optimizers apply by rank, here stated once).
 */
public enum ParameterKind {
    /** Linear matrices and convolution kernels: decayed. */
    WEIGHT(true, true),
    /** Additive biases of linear and convolution layers. */
    BIAS(false, true),
    /** LayerNorm and BatchNorm scale and shift. */
    NORM(false, true),
    /** TSSA's per-head temperature {@code temp}: the reference lists it in {@code no_weight_decay}. */
    TEMPERATURE(false, true),
    /** Layer-scale γ (CaiT): a per-channel gain on a residual branch. */
    LAYER_SCALE(false, true),
    /** Learned tokens and position tables: the class token, position embeddings. */
    TOKEN(false, true),
    /** BatchNorm's running mean, variance and batch count: state, not trained. */
    STATISTIC(false, false);

    private final boolean decays;
    private final boolean trainable;

    ParameterKind(boolean decays, boolean trainable) {
        this.decays = decays;
        this.trainable = trainable;
    }

    /** Whether decoupled weight decay applies. */
    public boolean decays() {
        return decays;
    }

    /** Whether an optimizer updates it (false for running statistics, which the forward updates). */
    public boolean trainable() {
        return trainable;
    }
}

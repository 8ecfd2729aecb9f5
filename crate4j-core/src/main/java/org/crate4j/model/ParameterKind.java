package org.crate4j.model;

/**
 * What a parameter is to the model, after DJL's parameter types: the kind, not the name, decides
 * how a family initialises the tensor, whether weight decay applies to it (matrices only: the rule
 * timm's and nanoGPT's optimizers apply by rank, stated once here) and whether an optimizer
 * updates it at all.
 */
public enum ParameterKind {
    /** A Linear weight (out, in), or any matrix or kernel a family does not tell apart: decays. */
    WEIGHT(true, true),
    /** A Linear bias. */
    BIAS(false, true),
    /**
     * A convolution weight (out, in, kh, kw), such as a patch stem's. A kind of its own because
     * references initialise it apart from Linear weights (timm leaves it at torch's default).
     */
    CONV_WEIGHT(true, true),
    /** A convolution bias. */
    CONV_BIAS(false, true),
    /** A normalisation's scale or shift when a family does not tell them apart (LayerNorm, BatchNorm). */
    NORM(false, true),
    /** A LayerNorm's scale γ. */
    NORM_SCALE(false, true),
    /** A LayerNorm's shift β. */
    NORM_SHIFT(false, true),
    /** A learned position embedding. */
    EMBEDDING(false, true),
    /** A learned token, such as the class token (and, in ToST, position tables). */
    TOKEN(false, true),
    /** A sparse-coding dictionary (ISTA's D, ODL's D and D1): a matrix, so it decays like one. */
    DICTIONARY(true, true),
    /** TSSA's per-head temperature {@code temp}: the reference lists it in {@code no_weight_decay}. */
    TEMPERATURE(false, true),
    /** Layer-scale γ (CaiT): a per-channel gain on a residual branch. */
    LAYER_SCALE(false, true),
    /** BatchNorm's running mean, variance and batch count: state, not trained. */
    STATISTIC(false, false);

    private final boolean decays;
    private final boolean trainable;

    ParameterKind(boolean decays, boolean trainable) {
        this.decays = decays;
        this.trainable = trainable;
    }

    /** Whether decoupled weight decay shrinks parameters of this kind. */
    public boolean decays() {
        return decays;
    }

    /** Whether an optimizer updates it (false for running statistics, which the forward updates). */
    public boolean trainable() {
        return trainable;
    }
}

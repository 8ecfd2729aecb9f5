package org.crate4j.model;

/**
 * What a parameter is to the model, after DJL's parameter types: the kind, not the name, decides
 * how a family initialises the tensor and whether weight decay applies to it.
 */
public enum ParameterKind {
    /** A Linear weight (out, in): decays (nanoGPT's and timm's rule for matrices). */
    WEIGHT(true),
    /** A Linear bias. */
    BIAS(false),
    /**
     * A convolution weight (out, in, kh, kw), such as a patch stem's. A kind of its own because
     * references initialise it apart from Linear weights (timm leaves it at torch's default).
     */
    CONV_WEIGHT(true),
    /** A convolution bias. */
    CONV_BIAS(false),
    /** A LayerNorm's scale γ. */
    NORM_SCALE(false),
    /** A LayerNorm's shift β. */
    NORM_SHIFT(false),
    /** A learned position embedding. */
    EMBEDDING(false),
    /** A learned token, such as the class token. */
    TOKEN(false),
    /** A sparse-coding dictionary (ISTA's D, ODL's D and D1): a matrix, so it decays like one. */
    DICTIONARY(true);

    private final boolean decays;

    ParameterKind(boolean decays) {
        this.decays = decays;
    }

    /** Whether decoupled weight decay shrinks parameters of this kind. */
    public boolean decays() {
        return decays;
    }
}

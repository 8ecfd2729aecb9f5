package org.crate4j.model;

import java.util.Locale;
import org.crate4j.CrateException;

/** A CRATE layer's compression step: which operator compresses the tokens against the subspaces. */
public enum Attention {
    /** Multi-head subspace self-attention (Yu et al., 2023): softmax(U·Uᵀ/√k)·U per head, O(n²) in the tokens. */
    MSSA,
    /**
     * Token statistics self-attention (Wu et al., ICLR 2025, Eq. 10-11): each token against per-head
     * second moments of all tokens, O(n); see {@link Tssa}.
     */
    TSSA;

    /** {@code mssa} or {@code tssa}, any case. */
    public static Attention parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CrateException("unknown --attention '" + name + "': use mssa or tssa");
        }
    }
}

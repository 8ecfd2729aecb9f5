package org.crate4j.model;

import java.util.Locale;
import org.crate4j.CrateException;

/**
 * How a CRATE classifier's MSSA returns its heads to the token space (see {@link Mssa}):
 * {@code FREE}, the reference code's learned {@code to_out}; or {@code TIED}, the paper's
 * [U_1, …, U_K], each head's output projection tied to the transpose of its own subspace basis.
 */
public enum MssaOutput {
    FREE,
    TIED;

    /** {@code free} or {@code tied}, any case. */
    public static MssaOutput parse(String s) {
        for (MssaOutput m : values()) {
            if (m.name().equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new CrateException("unknown MSSA form '" + s + "': use free (a learned output projection, the reference's) "
                + "or tied (the paper's [U_1 … U_K])");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

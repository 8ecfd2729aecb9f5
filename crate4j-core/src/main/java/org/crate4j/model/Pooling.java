package org.crate4j.model;

/** How the classifier pools tokens before the head: the class token, or the mean of all tokens. */
public enum Pooling {
    CLS,
    MEAN;

    public static Pooling parse(String s) {
        switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "cls": return CLS;
            case "mean": return MEAN;
            default: throw new org.crate4j.CrateException("unknown pooling '" + s + "': use cls or mean");
        }
    }
}

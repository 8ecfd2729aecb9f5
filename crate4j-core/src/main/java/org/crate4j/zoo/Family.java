package org.crate4j.zoo;

import org.crate4j.checkpoint.CheckpointKind;

/** The model families crate4j builds, each with its checkpoint kind and the prefix of its preset names. */
public enum Family {
    CRATE("CRATE classifier", CheckpointKind.CLASSIFIER, "crate-"),
    CRATE_MAE("CRATE-MAE (masked autoencoder)", CheckpointKind.MAE, "crate-mae-"),
    CRATE_ALPHA("CRATE-α classifier", CheckpointKind.CRATE_ALPHA, "crate-alpha-"),
    VIT("ViT classifier (timm layout)", CheckpointKind.VIT, "vit-"),
    TOST("ToST classifier", CheckpointKind.TOST, "tost-");

    private final String label;
    private final CheckpointKind kind;
    private final String prefix;

    Family(String label, CheckpointKind kind, String prefix) {
        this.label = label;
        this.kind = kind;
        this.prefix = prefix;
    }

    /** "CRATE classifier", "CRATE-α classifier", …: what {@code crate info} prints. */
    public String label() {
        return label;
    }

    public CheckpointKind kind() {
        return kind;
    }

    /** Whether it classifies images (every family but CRATE-MAE). */
    public boolean classifies() {
        return this != CRATE_MAE;
    }

    /** The family of a file kind; null for {@link CheckpointKind#UNKNOWN}. */
    public static Family of(CheckpointKind kind) {
        for (Family f : values()) {
            if (f.kind == kind) {
                return f;
            }
        }
        return null;
    }

    String prefix() {
        return prefix;
    }
}

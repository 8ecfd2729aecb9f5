package org.crate4j.checkpoint;

/** How {@link TorchCheckpoint} treats pickle globals outside its whitelist. */
public enum Policy {
    /** Unknown globals become inert {@link PickledObject}s; nothing is ever executed either way. */
    INERT,
    /** Any global outside the whitelist of tensors, containers and plain values fails the read. */
    STRICT
}

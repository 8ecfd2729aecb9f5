package org.crate4j.model;

import java.util.Arrays;

/**
 * One model tensor as the reference's state dict names it: its key, shape, kind and how it starts.
 * A family lists its specs once, in the reference's order; building, loading, counting, weight decay
 * and initialisation all read that list.
 */
public record ParameterSpec(String name, long[] shape, ParameterKind kind, Initializer init) {
    public ParameterSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** The same tensor under {@code prefix + name} (a block's specs placed inside a model). */
    public ParameterSpec under(String prefix) {
        return new ParameterSpec(prefix + name, shape, kind, init);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape) + " " + kind;
    }
}

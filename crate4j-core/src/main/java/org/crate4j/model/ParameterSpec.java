package org.crate4j.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * One parameter a model family declares: its reference state-dict key, shape and kind, the fan-in
 * its initialisation scales by (for a bias, that of the weight it belongs to), and optionally its
 * own initialiser. A family lists its specs once, in the reference's order; shapes, counts,
 * loading, initialisation and weight decay are read off that list.
 */
public record ParameterSpec(String name, long[] shape, ParameterKind kind, long fanIn, Initializer init) {

    public ParameterSpec {
        shape = shape.clone();
    }

    /** A spec whose family initialises it from the kind and fan-in. */
    public ParameterSpec(String name, long[] shape, ParameterKind kind, long fanIn) {
        this(name, shape, kind, fanIn, null);
    }

    /** A spec that carries its own initialiser (fan-in: the last size). */
    public ParameterSpec(String name, long[] shape, ParameterKind kind, Initializer init) {
        this(name, shape, kind, shape.length == 0 ? 1 : shape[shape.length - 1], init);
    }

    /** The same tensor under {@code prefix + name} (a block's specs placed inside a model). */
    public ParameterSpec under(String prefix) {
        return new ParameterSpec(prefix + name, shape, kind, fanIn, init);
    }

    /** A Linear weight (out, in); fan-in is {@code in}. */
    public static ParameterSpec weight(String name, long out, long in) {
        return new ParameterSpec(name, new long[] {out, in}, ParameterKind.WEIGHT, in);
    }

    /** The bias of a Linear with {@code fanIn} inputs. */
    public static ParameterSpec bias(String name, long size, long fanIn) {
        return new ParameterSpec(name, new long[] {size}, ParameterKind.BIAS, fanIn);
    }

    /** A 2-D convolution weight (out, in, k, k); fan-in is in·k². */
    public static ParameterSpec convWeight(String name, long out, long in, long kernel) {
        return new ParameterSpec(name, new long[] {out, in, kernel, kernel}, ParameterKind.CONV_WEIGHT, in * kernel * kernel);
    }

    /** The bias of a convolution with {@code fanIn} = in·k² inputs per output. */
    public static ParameterSpec convBias(String name, long size, long fanIn) {
        return new ParameterSpec(name, new long[] {size}, ParameterKind.CONV_BIAS, fanIn);
    }

    /** γ and β of a LayerNorm over {@code dim} features, keyed {@code prefix.weight} and {@code prefix.bias}. */
    public static List<ParameterSpec> layerNorm(String prefix, long dim) {
        return List.of(new ParameterSpec(prefix + ".weight", new long[] {dim}, ParameterKind.NORM_SCALE, dim),
                new ParameterSpec(prefix + ".bias", new long[] {dim}, ParameterKind.NORM_SHIFT, dim));
    }

    public static ParameterSpec embedding(String name, long... shape) {
        return new ParameterSpec(name, shape, ParameterKind.EMBEDDING, shape[shape.length - 1]);
    }

    public static ParameterSpec token(String name, long... shape) {
        return new ParameterSpec(name, shape, ParameterKind.TOKEN, shape[shape.length - 1]);
    }

    /** A dictionary (rows, atoms); fan-in is its second size, as torch's initialisers count a matrix. */
    public static ParameterSpec dictionary(String name, long rows, long atoms) {
        return new ParameterSpec(name, new long[] {rows, atoms}, ParameterKind.DICTIONARY, atoms);
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

    @Override
    public boolean equals(Object o) {
        return o instanceof ParameterSpec p && name.equals(p.name) && Arrays.equals(shape, p.shape)
                && kind == p.kind && fanIn == p.fanIn;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape) + " " + kind;
    }

    /** Key → shape, in the list's order (what a strict state-dict check compares against). */
    public static Map<String, long[]> shapes(List<ParameterSpec> specs) {
        Map<String, long[]> s = new LinkedHashMap<>();
        specs.forEach(p -> s.put(p.name, p.shape()));
        return s;
    }

    public static long count(List<ParameterSpec> specs) {
        long n = 0;
        for (ParameterSpec p : specs) {
            n += p.numel();
        }
        return n;
    }

    /** Fresh trainable tensors, one per spec in order, each drawn by {@code draw} (no autograd while drawing). */
    public static Parameters initialise(List<ParameterSpec> specs, Function<ParameterSpec, Tensor> draw) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (ParameterSpec p : specs) {
                tensors.put(p.name, draw.apply(p).requires_grad_(true));
            }
        }
        return Parameters.of(tensors);
    }
}

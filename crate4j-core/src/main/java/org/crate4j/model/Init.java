package org.crate4j.model;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * The reference's initialisation (docs/architecture.md §1), by parameter kind, drawn from libtorch's CPU
 * generator whatever device the model goes to: one seed then gives the same initial weights on
 * every device, as in the reference, which builds its modules on the CPU before moving them.
 * The reference applies torch's defaults:
 * <ul>
 * <li>Linear weights and biases U(±1/√fan_in) (Kaiming-uniform with a = √5);</li>
 * <li>LayerNorm γ = 1, β = 0; position embedding and class token N(0, 1);</li>
 * <li>the ISTA dictionary, a bare tensor: Kaiming-uniform with a = 0, U(±√(6/d)).</li>
 * </ul>
 * A spec carrying its own initialiser (the tied MSSA's scale) is drawn by it.
 */
final class Init {
    private Init() {}

    static Parameters reference(List<ParameterSpec> specs) {
        return ParameterSpec.initialise(specs, Init::draw);
    }

    static Tensor draw(ParameterSpec s) {
        long[] shape = s.shape();
        if (s.init() != null) {
            return s.init().create(shape);
        }
        return switch (s.kind()) {
            case WEIGHT, BIAS -> WeightInit.uniform(shape, 1.0 / Math.sqrt(s.fanIn()));
            case NORM_SCALE -> WeightInit.ones(shape);
            case NORM_SHIFT -> WeightInit.zeros(shape);
            case EMBEDDING, TOKEN -> WeightInit.standardNormal(shape);
            case DICTIONARY -> WeightInit.uniform(shape, Math.sqrt(6.0 / s.fanIn()));
            default -> throw new IllegalArgumentException("CRATE has no parameter of kind " + s);
        };
    }
}

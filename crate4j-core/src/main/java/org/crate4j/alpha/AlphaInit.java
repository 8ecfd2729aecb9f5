package org.crate4j.alpha;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Parameters;
import org.crate4j.model.WeightInit;

/**
 * CRATE-α's initialisation, by parameter kind. The reference applies no init function of its own,
 * so every module keeps torch's default:
 * <ul>
 * <li>Linear and Conv2d weights: Kaiming-uniform with a = √5, which is U(±1/√fan_in); their
 *     biases U(±1/√fan_in) of the weight's fan-in;</li>
 * <li>LayerNorm γ = 1, β = 0;</li>
 * <li>position embedding and class token: {@code torch.randn}, N(0, 1);</li>
 * <li>the dictionaries D and D1 (d × r·d): Kaiming-uniform with a = 0 on torch's fan-in of a
 *     matrix, its second size r·d, so U(±√(6/(r·d))).</li>
 * </ul>
 */
public final class AlphaInit {
    private AlphaInit() {}

    public static Parameters reference(List<ParameterSpec> specs) {
        return ParameterSpec.initialise(specs, AlphaInit::draw);
    }

    public static Tensor draw(ParameterSpec s) {
        long[] shape = s.shape();
        return switch (s.kind()) {
            case WEIGHT, BIAS, CONV_WEIGHT, CONV_BIAS -> WeightInit.uniform(shape, 1.0 / Math.sqrt(s.fanIn()));
            case NORM_SCALE -> WeightInit.ones(shape);
            case NORM_SHIFT -> WeightInit.zeros(shape);
            case EMBEDDING, TOKEN -> WeightInit.standardNormal(shape);
            case DICTIONARY -> WeightInit.uniform(shape, Math.sqrt(6.0 / s.fanIn()));
            case NORM, TEMPERATURE, LAYER_SCALE, STATISTIC -> throw new IllegalArgumentException("CRATE-α has no parameter of kind " + s);
        };
    }
}

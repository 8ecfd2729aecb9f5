package org.crate4j.vit;

import java.util.List;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.ParameterSpec;
import org.crate4j.model.Parameters;
import org.crate4j.model.WeightInit;

/**
 * timm's default ViT initialisation (weight_init '', its "timm" mode), by parameter kind:
 * <ul>
 * <li>Linear weights: truncated normal, std 0.02, cut at ±2 (absolute, as timm's trunc_normal_);
 *     Linear biases 0;</li>
 * <li>the patch stem's convolution is not a Linear, so it keeps torch's Conv2d default:
 *     weight and bias U(±1/√fan_in), fan_in = C·P²;</li>
 * <li>LayerNorm γ = 1, β = 0;</li>
 * <li>the position embedding: truncated normal, std 0.02; the class token N(0, 10⁻¹²) (std 1e-6).</li>
 * </ul>
 */
public final class VitInit {
    static final double STD = 0.02;
    static final double CLASS_TOKEN_STD = 1e-6;

    private VitInit() {}

    public static Parameters reference(List<ParameterSpec> specs) {
        return ParameterSpec.initialise(specs, VitInit::draw);
    }

    public static Tensor draw(ParameterSpec s) {
        long[] shape = s.shape();
        return switch (s.kind()) {
            case WEIGHT, EMBEDDING -> WeightInit.truncatedNormal(shape, STD, -2, 2);
            case BIAS, NORM_SHIFT -> WeightInit.zeros(shape);
            case CONV_WEIGHT, CONV_BIAS -> WeightInit.uniform(shape, 1.0 / Math.sqrt(s.fanIn()));
            case NORM_SCALE -> WeightInit.ones(shape);
            case TOKEN -> WeightInit.normal(shape, CLASS_TOKEN_STD);
            case DICTIONARY, NORM, TEMPERATURE, LAYER_SCALE, STATISTIC -> throw new IllegalArgumentException("ViT has no parameter of kind " + s);
        };
    }
}

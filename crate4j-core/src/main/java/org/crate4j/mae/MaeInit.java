package org.crate4j.mae;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.model.ParameterSpec;

/**
 * CRATE-MAE's initialisation, the MAE recipe (drawn on the CPU from libtorch's CPU generator):
 * <ul>
 * <li>Linear weights (qkv, to_out, decoder_embed, decoder_pred) xavier-uniform, their biases 0;</li>
 * <li>the patch embedding's weight xavier-uniform as if it were a Linear (C·P² → d); its bias keeps
 *     Conv2d's default U(±1/√(C·P²)), which the recipe leaves alone;</li>
 * <li>class and mask tokens N(0, 0.02²); LayerNorm weight 1, bias 0;</li>
 * <li>both dictionaries (the encoder's ISTA D and the decoder's D) Kaiming-uniform, a = 0, bound
 *     √(6/d): in the reference they are bare tensors, not Linear modules, so the Linear rule does
 *     not reach them;</li>
 * <li>TSSA's per-head temperatures 1, as ToST initialises them;</li>
 * <li>the position tables: the fixed sine-cosine table.</li>
 * </ul>
 */
final class MaeInit {
    private MaeInit() {}

    /** Every tensor of {@link MaeConfig#parameterShapes()}, in its order, drawn by its kind. */
    static Map<String, Tensor> create(MaeConfig c) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (ParameterSpec p : c.parameterSpecs()) {
                out.put(p.name(), initial(p, c));
            }
        }
        return out;
    }

    private static Tensor initial(ParameterSpec p, MaeConfig c) {
        long[] shape = p.shape();
        return switch (p.kind()) {
            case EMBEDDING -> SinCosTable.create((int) shape[2], c.gridSize(), c.gridSize());   // the fixed tables
            case TOKEN -> Torch.empty(Device.CPU, shape).normal_(0.0, 0.02, new GeneratorOptional());
            case NORM_SCALE, TEMPERATURE -> Torch.ones(Device.CPU, shape);                   // ToST's temp starts at 1
            case DICTIONARY -> uniform(shape, Math.sqrt(6.0 / shape[1]));
            case CONV_WEIGHT -> uniform(shape, Math.sqrt(6.0 / (p.fanIn() + shape[0])));     // xavier, as a Linear C·P² → d
            case CONV_BIAS -> uniform(shape, 1.0 / Math.sqrt(p.fanIn()));                    // Conv2d's default
            case WEIGHT -> uniform(shape, Math.sqrt(6.0 / (shape[0] + shape[1])));          // xavier-uniform
            case NORM_SHIFT, BIAS -> Torch.zeros(Device.CPU, shape);
            default -> throw new IllegalArgumentException("CRATE-MAE has no parameter of kind " + p.kind());
        };
    }

    private static Tensor uniform(long[] shape, double bound) {
        return Torch.empty(Device.CPU, shape).uniform_(-bound, bound, new GeneratorOptional());
    }
}

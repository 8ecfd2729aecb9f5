package org.crate4j.mae;

import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

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
 * <li>the position tables: the fixed sine-cosine table.</li>
 * </ul>
 */
final class MaeInit {
    private MaeInit() {}

    /** Every tensor of {@link MaeConfig#parameterShapes()}, in its order. */
    static Map<String, Tensor> create(MaeConfig c) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (Map.Entry<String, long[]> e : c.parameterShapes().entrySet()) {
                out.put(e.getKey(), initial(e.getKey(), e.getValue(), c));
            }
        }
        return out;
    }

    private static Tensor initial(String name, long[] shape, MaeConfig c) {
        if (MaeConfig.FIXED_TABLES.contains(name)) {
            return SinCosTable.create((int) shape[2], c.gridSize(), c.gridSize());
        }
        if (name.equals("cls_token") || name.equals("mask_token")) {
            return Torch.empty(Device.CPU, shape).normal_(0.0, 0.02, new GeneratorOptional());
        }
        if (name.endsWith("norm.weight")) {
            return Torch.ones(Device.CPU, shape);
        }
        if (name.endsWith("norm.bias")) {
            return Torch.zeros(Device.CPU, shape);
        }
        if (isDictionary(name)) {
            return uniform(shape, Math.sqrt(6.0 / shape[1]));
        }
        if (name.equals("patch_embed.proj.weight")) {
            long fanIn = shape[1] * shape[2] * shape[3];
            return uniform(shape, Math.sqrt(6.0 / (fanIn + shape[0])));
        }
        if (name.equals("patch_embed.proj.bias")) {
            return uniform(shape, 1.0 / Math.sqrt(c.patchDim()));
        }
        if (name.endsWith(".weight")) {
            return uniform(shape, Math.sqrt(6.0 / (shape[0] + shape[1])));   // xavier-uniform
        }
        return Torch.zeros(Device.CPU, shape);                                 // Linear biases
    }

    static boolean isDictionary(String name) {
        return (name.startsWith("blocks.") && name.endsWith(".layers.0.1.fn.weight"))
                || (name.startsWith("decoder_blocks.") && name.endsWith(".layers.0.0.fn.weight"));
    }

    private static Tensor uniform(long[] shape, double bound) {
        return Torch.empty(Device.CPU, shape).uniform_(-bound, bound, new GeneratorOptional());
    }
}

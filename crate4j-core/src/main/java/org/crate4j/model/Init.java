package org.crate4j.model;

import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * The reference's initialisation (SPEC §1), drawn from libtorch's CPU generator whatever device
 * the model goes to: one seed then gives the same initial weights on every device, as in the
 * reference, which builds its modules on the CPU before moving them.
 */
final class Init {
    private Init() {}

    static Parameters reference(Map<String, long[]> shapes) {
        Parameters p = new Parameters();
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue();
                Tensor t;
                if (isLayerNorm(name)) {
                    t = name.endsWith("weight") ? Torch.ones(Device.CPU, shape) : Torch.zeros(Device.CPU, shape);
                } else if (name.equals("pos_embedding") || name.equals("cls_token")) {
                    t = Torch.randn(Device.CPU, shape);
                } else if (name.endsWith(".fn.temp")) {
                    t = Torch.ones(Device.CPU, shape);                   // TSSA's temperature starts at 1, as in ToST
                } else if (isIstaDictionary(name)) {
                    t = uniform(shape, Math.sqrt(6.0 / shape[1]));      // kaiming_uniform_, a = 0
                } else if (name.endsWith(".weight")) {
                    t = uniform(shape, 1.0 / Math.sqrt(shape[1]));      // Linear default, a = √5
                } else {
                    long[] w = shapes.get(name.substring(0, name.length() - "bias".length()) + "weight");
                    t = uniform(shape, 1.0 / Math.sqrt(w[1]));          // Linear bias: U(±1/√fan_in)
                }
                p.put(name, t.requires_grad_(true));
            }
        }
        return p;
    }

    static boolean isLayerNorm(String name) {
        return name.contains(".norm.") || name.startsWith("to_patch_embedding.1.")
                || name.startsWith("to_patch_embedding.3.") || name.startsWith("mlp_head.0.");
    }

    static boolean isIstaDictionary(String name) {
        return name.startsWith("transformer.layers.") && name.endsWith(".1.fn.weight");
    }

    private static Tensor uniform(long[] shape, double bound) {
        return Torch.empty(Device.CPU, shape).uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
    }
}

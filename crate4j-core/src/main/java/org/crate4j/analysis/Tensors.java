package org.crate4j.analysis;

import java.nio.DoubleBuffer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/** Copies between tensors and Java arrays in double precision, for the small linear algebra here. */
final class Tensors {
    private Tensors() {}

    static double[] toDoubles(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Double).cpu().contiguous();
        double[] out = new double[(int) c.numel()];
        DoubleBuffer b = c.createBuffer();
        b.get(out);
        return out;
    }

    /** fp64 on the CPU, where the linear algebra here runs. */
    static Tensor fromDoubles(double[] values, long... shape) {
        return Torch.doubles(Device.CPU, values, shape);
    }

    /** fp64 on the CPU: log-determinants and eigenvectors of near-singular matrices need it. */
    static Tensor asDouble(Tensor t) {
        return t.detach().to(torch.ScalarType.Double).cpu();
    }
}

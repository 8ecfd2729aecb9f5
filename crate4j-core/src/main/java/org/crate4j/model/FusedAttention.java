package org.crate4j.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * When libtorch's fused attention ({@code scaled_dot_product_attention}) is the right kernel: always,
 * except for a step that will be differentiated under bf16/fp16 autocast on a CPU. There the fused
 * backward is the slow part: it took 3.66 s of crate-tiny's 4.17 s training step on the project's AMX
 * Xeon ({@code crate bench --profile --precision bf16}), against 0.26 s for the explicit products'
 * backward (NOTES.md, session 8). Every attention of every family asks here.
 */
public final class FusedAttention {
    private FusedAttention() {}

    /** For attention over {@code x}: whether gradients will flow back through it decides. */
    public static boolean suits(Tensor x) {
        return suits(x.requires_grad(), x.is_cuda());
    }

    /** For a model in training ({@code differentiated}) mode on a CUDA device or not. */
    public static boolean suits(boolean differentiated, boolean cuda) {
        return !(differentiated && !cuda && torch.is_autocast_enabled(torch.DeviceType.CPU));
    }
}

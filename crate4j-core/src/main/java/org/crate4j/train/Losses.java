package org.crate4j.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/** Classification losses. */
public final class Losses {
    private Losses() {}

    /** Mean cross-entropy of logits (B, K) against labels (B,), with label smoothing ε. */
    public static Tensor crossEntropy(Tensor logits, Tensor labels, double labelSmoothing) {
        // reduction 1 = mean, ignore_index −100 as in PyTorch; logits upcast so bf16 never reaches the loss.
        return torch.cross_entropy_loss(logits.to(torch.ScalarType.Float), labels, new TensorOptional(), 1, -100, labelSmoothing);
    }
}

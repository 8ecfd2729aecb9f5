package org.crate4j.vit;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.model.Layers;

/**
 * ViT's feed-forward block: {@code MLP(x) = W₂·GELU(W₁·x + b₁) + b₂}, with the exact (erf) GELU,
 * {@code GELU(u) = u·Φ(u)}, as torch's {@code nn.GELU()} default that timm uses.
 */
public record GeluMlp(Tensor fc1Weight, Tensor fc1Bias, Tensor fc2Weight, Tensor fc2Bias) {

    /** GELU(W₁·x + b₁): (…, d) → (…, hidden). */
    public Tensor hidden(Tensor x) {
        return torch.gelu(Layers.linear(x, fc1Weight, fc1Bias));
    }

    /** W₂·h + b₂: (…, hidden) → (…, d). */
    public Tensor output(Tensor hidden) {
        return Layers.linear(hidden, fc2Weight, fc2Bias);
    }

    public Tensor apply(Tensor x) {
        return output(hidden(x));
    }
}

package org.crate4j.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * The convolutional patch stem of CRATE-α ({@code conv1}) and ViT ({@code patch_embed.proj}): a P×P
 * convolution at stride P with bias, so token i is {@code x_i = W·vec(patch_i) + b} with the patch
 * flattened as (channel, row, column). (B, C, H, W) → (B, N, d), patches in row-major grid order.
 */
public final class ConvStem {
    private ConvStem() {}

    public static Tensor apply(Tensor images, Tensor weight, Tensor bias, int patch) {
        Tensor x = torch.conv2d(images, weight, new TensorOptional(bias),
                new long[] {patch, patch}, new long[] {0, 0}, new long[] {1, 1}, 1); // (B, d, gh, gw)
        return x.flatten(2, 3).transpose(1, 2);
    }
}

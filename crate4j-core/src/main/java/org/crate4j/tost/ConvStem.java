package org.crate4j.tost;

import java.util.Map;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.model.Parameters;

/**
 * XCiT's convolutional patch embedding: 3×3 convolutions of stride 2 and padding 1 without bias,
 * each followed by BatchNorm (SyncBatchNorm in the reference: the same layer with statistics
 * gathered across processes), GELU between them (not after the last). Four stages make 16-pixel
 * patches, three make 8-pixel ones; each stage takes ⌈x/2⌉, so any image size works.
 */
final class ConvStem {
    private final Parameters params;
    private final Map<String, Tensor> statistics;
    private final int stages;

    ConvStem(Parameters params, Map<String, Tensor> statistics, int stages) {
        this.params = params;
        this.statistics = statistics;
        this.stages = stages;
    }

    /**
     * (B, C, H, W) → (B, d, Hp, Wp). In training each BatchNorm normalises by the batch's
     * statistics and moves its running ones 10 % towards them (unbiased variance), as PyTorch
     * does; in evaluation it normalises by the running ones.
     */
    Tensor apply(Tensor images, boolean training) {
        Tensor x = images;
        for (int s = 0; s < stages; s++) {
            x = torch.conv2d(x, params.get(TostLayout.stemConv(s) + "weight"), new TensorOptional(),
                    new long[] {2, 2}, new long[] {1, 1}, new long[] {1, 1}, 1);
            x = batchNorm(x, TostLayout.stemNorm(s), training);
            if (s < stages - 1) {
                x = torch.gelu(x);
            }
        }
        return x;
    }

    private Tensor batchNorm(Tensor x, String p, boolean training) {
        if (training && x.size(0) * x.size(2) * x.size(3) < 2) {
            throw new CrateException("BatchNorm in training needs more than one value per channel, got a batch of "
                    + x.size(0) + " at " + x.size(2) + "x" + x.size(3) + ": train with a larger batch or image");
        }
        Tensor y = torch.batch_norm(x, new TensorOptional(params.get(p + "weight")), new TensorOptional(params.get(p + "bias")),
                new TensorOptional(statistics.get(p + "running_mean")), new TensorOptional(statistics.get(p + "running_var")),
                training, TostConfig.BN_MOMENTUM, TostConfig.BN_EPS, false);
        if (training) {
            try (NoGradGuard g = new NoGradGuard()) {
                statistics.get(p + "num_batches_tracked").add_(new Scalar(1L));
            }
        }
        return y;
    }
}

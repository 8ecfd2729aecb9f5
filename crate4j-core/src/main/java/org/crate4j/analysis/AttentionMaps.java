package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.engine.Torch;
import org.crate4j.model.LayerTrace;

/**
 * Where the class token looks (docs/architecture.md §4): at layer ℓ, the class-token row of each head's attention
 * A_j without the class column, laid out on the patch grid. In CRATE these maps segment objects
 * without any segmentation training (the segmentation paper uses the penultimate layer).
 */
public final class AttentionMaps {
    private AttentionMaps() {}

    /**
     * One image's maps: on the patch grid, and bilinearly upsampled to the image.
     *
     * @param layer the 0-based layer they were read at
     */
    public record Result(int layer, HeadMaps patches, HeadMaps pixels) {}

    /** The segmentation paper's choice: the penultimate layer (0-based), or 0 for one layer. */
    public static int penultimate(int depth) {
        return Math.max(0, depth - 2);
    }

    /** A (B, h, n, n) → the class token's attention to each patch, (B, h, gh, gw). */
    public static Tensor classTokenMaps(Tensor attention, int gridHeight, int gridWidth) {
        long patches = (long) gridHeight * gridWidth;
        if (attention.dim() != 4 || attention.size(3) != patches + 1) {
            throw new CrateException("attention has " + (attention.dim() == 4 ? attention.size(3) : -1) + " tokens but a "
                    + gridHeight + "x" + gridWidth + " patch grid plus a class token needs " + (patches + 1));
        }
        return attention.select(2, 0).narrow(2, 1, patches).reshape(attention.size(0), attention.size(1), gridHeight, gridWidth);
    }

    /** (B, h, gh, gw) → (B, h, H, W), bilinear with half-pixel centres (F.interpolate's default). */
    public static Tensor upsample(Tensor maps, int height, int width) {
        return torch.upsample_bilinear2d(maps.to(torch.ScalarType.Float).contiguous(), new long[] {height, width}, false);
    }

    /** Runs the encoder on (B, C, H, W) images and returns every image's maps at {@code layer}. */
    public static List<Result> compute(TracedEncoder encoder, Tensor images, int layer) {
        encoder.checkLayer(layer);
        int h = (int) images.size(2), w = (int) images.size(3), p = encoder.patchSize();
        List<Result> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            LayerTrace t = encoder.trace(images).get(layer);
            Tensor grid = classTokenMaps(t.attention(), h / p, w / p);
            Tensor pixels = upsample(grid, h, w);
            for (int b = 0; b < images.size(0); b++) {
                out.add(new Result(layer, maps(grid.select(0, b)), maps(pixels.select(0, b))));
            }
        }
        return out;
    }

    /** (h, H, W) → HeadMaps. */
    static HeadMaps maps(Tensor t) {
        return new HeadMaps((int) t.size(0), (int) t.size(1), (int) t.size(2), Torch.toFloats(t));
    }
}

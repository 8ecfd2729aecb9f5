package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * One image's class-token attention at one layer, as plain arrays: row 0 of every head's A_j
 * (what the segmentation paper draws, at the penultimate layer), split into the class token's
 * weight on itself and its weights on the patches. The softmax row is kept whole, so for each
 * head {@code toClassToken[j] + Σ_p toPatches[j][p] = 1}.
 *
 * @param toClassToken per head, the class token's attention to itself (the column the maps drop)
 * @param toPatches    per head, the attention to each patch in row-major grid order: [head][patch]
 */
public record ClassTokenAttention(int layer, int gridHeight, int gridWidth, float[] toClassToken, float[][] toPatches)
        implements OnPatchGrid {

    public ClassTokenAttention {
        if (toClassToken.length != toPatches.length) {
            throw new IllegalArgumentException(toClassToken.length + " class-token weights for " + toPatches.length + " heads");
        }
        for (float[] head : toPatches) {
            if (head.length != gridHeight * gridWidth) {
                throw new IllegalArgumentException("a head has " + head.length + " patches, the grid " + gridHeight + "x" + gridWidth);
            }
        }
    }

    public int heads() {
        return toPatches.length;
    }

    /** Runs the encoder on (B, C, H, W) images and returns every image's class-token attention at {@code layer}. */
    public static List<ClassTokenAttention> of(TracedEncoder encoder, Tensor images, int layer) {
        encoder.checkLayer(layer);
        int p = encoder.patchSize();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            Tensor attention = encoder.trace(images).get(layer).attention();
            return fromAttention(attention, layer, (int) images.size(2) / p, (int) images.size(3) / p);
        }
    }

    /** A (B, h, n, n) with n = 1 + gh·gw, class token first (or its row alone, (B, h, 1, n)) → one record per image. */
    public static List<ClassTokenAttention> fromAttention(Tensor attention, int layer, int gridHeight, int gridWidth) {
        int patches = gridHeight * gridWidth;
        // (B, h, 1, n) is the class token's row alone (what families without pairwise attention trace, see LayerTrace)
        if (attention.dim() != 4 || (attention.size(2) != patches + 1 && attention.size(2) != 1) || attention.size(3) != patches + 1) {
            throw new CrateException("attention of shape " + Arrays.toString(Torch.shape(attention)) + " does not fit a "
                    + gridHeight + "x" + gridWidth + " patch grid plus a class token (B, h, " + (patches + 1) + ", " + (patches + 1) + ")");
        }
        int batch = (int) attention.size(0), heads = (int) attention.size(1), n = patches + 1;
        float[] rows = Torch.toFloats(attention.select(2, 0).contiguous()); // (B, h, n): the class token's row
        List<ClassTokenAttention> out = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            float[] self = new float[heads];
            float[][] patchRows = new float[heads][];
            for (int j = 0; j < heads; j++) {
                int row = (b * heads + j) * n;
                self[j] = rows[row];
                patchRows[j] = Arrays.copyOfRange(rows, row + 1, row + n);
            }
            out.add(new ClassTokenAttention(layer, gridHeight, gridWidth, self, patchRows));
        }
        return out;
    }

    /** The patch weights as {@link HeadMaps} on the grid. */
    public HeadMaps maps() {
        float[] values = new float[heads() * patches()];
        for (int j = 0; j < heads(); j++) {
            System.arraycopy(toPatches[j], 0, values, j * patches(), patches());
        }
        return new HeadMaps(heads(), gridHeight, gridWidth, values);
    }

    /** The patch weights upsampled to height × width, bilinear as {@link AttentionMaps#upsample}, for drawing on the image. */
    public HeadMaps pixels(int height, int width) {
        try (PointerScope scope = new PointerScope()) {
            Tensor grid = Torch.floats(Device.CPU, maps().values(), 1, heads(), gridHeight, gridWidth); // host arrays, for drawing
            return AttentionMaps.maps(AttentionMaps.upsample(grid, height, width).select(0, 0));
        }
    }
}

package org.crate4j.analysis;

import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.model.LayerTrace;

/**
 * Both unsupervised segmentations of one image from a single forward pass at one layer: coarse
 * masks (each head's class-token attention, thresholded by mass) and MaskCut objects (normalised
 * cuts of the concatenated-head patch features).
 */
public final class ImageSegmentation {
    private ImageSegmentation() {}

    /**
     * Everything on the patch grid (gh × gw, row-major).
     *
     * @param attention the class token's attention per head
     * @param headMasks per head, the patches holding {@code mass} of its attention
     * @param objects   MaskCut's objects, most salient first
     */
    public record Result(int layer, int gridHeight, int gridWidth, HeadMaps attention, boolean[][] headMasks,
            List<MaskCut.Found> objects) implements OnPatchGrid {

        /** Object i's patches resized (nearest) to height × width: the patch grid itself, or the image's pixels. */
        public boolean[] objectMask(int i, int height, int width) {
            return PatchGrid.resize(objects.get(i).patches(), gridHeight, gridWidth, height, width);
        }

        /** A label map at height × width: 0 background, object i (0-based) labelled i + 1. */
        public int[] labels(int height, int width) {
            int[] labels = new int[height * width];
            for (int i = 0; i < objects.size(); i++) {
                boolean[] m = objectMask(i, height, width);
                for (int k = 0; k < m.length; k++) {
                    labels[k] = m[k] ? i + 1 : labels[k];
                }
            }
            return labels;
        }
    }

    /** Segments a (1, C, H, W) image. */
    public static Result of(TracedEncoder encoder, Tensor image, int layer, double mass, int objects, double tau) {
        encoder.checkLayer(layer);
        if (image.size(0) != 1) {
            throw new IllegalArgumentException("segment one image at a time, got a batch of " + image.size(0));
        }
        int gh = (int) image.size(2) / encoder.patchSize(), gw = (int) image.size(3) / encoder.patchSize();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            LayerTrace t = encoder.trace(image).get(layer);
            HeadMaps maps = AttentionMaps.maps(AttentionMaps.classTokenMaps(t.attention(), gh, gw).select(0, 0));
            boolean[][] masks = CoarseSegmentation.headMasks(maps, mass);
            Tensor features = PatchFeatures.concatenatedHeads(t.subspaces(), (long) gh * gw).select(0, 0);
            return new Result(layer, gh, gw, maps, masks, MaskCut.discover(features, gh, gw, objects, tau));
        }
    }
}

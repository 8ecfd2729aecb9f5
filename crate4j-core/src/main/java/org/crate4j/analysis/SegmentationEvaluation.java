package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores unsupervised segmentations against ground truth, image by image, the way the comparison
 * needs them: coarse attention masks (best head per class), MaskCut's first object, the union of
 * its objects, and the centred-box baseline — each class-agnostic foreground labelled with the
 * image's ground-truth class, all at the ground truth's resolution.
 */
public final class SegmentationEvaluation {
    private final double boxArea;
    private final List<int[]> truths = new ArrayList<>();
    private final List<boolean[][]> heads = new ArrayList<>();
    private final List<boolean[]> first = new ArrayList<>(), all = new ArrayList<>(), box = new ArrayList<>();

    public SegmentationEvaluation(double boxArea) {
        CenteredBoxBaseline.box(1, 1, boxArea); // validates the area now rather than at the first image
        this.boxArea = boxArea;
    }

    /**
     * @param coarse      best-head-per-class coarse segmentation
     * @param firstObject MaskCut's most salient object as the foreground
     * @param allObjects  the union of MaskCut's objects as the foreground
     * @param centredBox  the baseline
     */
    public record Report(int images, int classes, double boxArea, CoarseSegmentation.Evaluation coarse,
            MeanIoU firstObject, MeanIoU allObjects, MeanIoU centredBox) {}

    /** Adds one image: its segmentation and its label map (height × width, 0 background, 255 ignored). */
    public void add(ImageSegmentation.Result r, int[] truth, int height, int width) {
        int gh = r.gridHeight(), gw = r.gridWidth();
        truths.add(truth);
        boolean[][] hm = new boolean[r.headMasks().length][];
        for (int j = 0; j < hm.length; j++) {
            hm[j] = PatchGrid.resize(r.headMasks()[j], gh, gw, height, width);
        }
        heads.add(hm);
        boolean[] union = new boolean[height * width];
        for (MaskCut.Found f : r.objects()) {
            boolean[] m = PatchGrid.resize(f.patches(), gh, gw, height, width);
            for (int k = 0; k < m.length; k++) {
                union[k] |= m[k];
            }
        }
        first.add(r.objects().isEmpty() ? new boolean[height * width] : PatchGrid.resize(r.objects().get(0).patches(), gh, gw, height, width));
        all.add(union);
        box.add(CenteredBoxBaseline.mask(height, width, boxArea));
    }

    public int images() {
        return truths.size();
    }

    public Report report() {
        if (truths.isEmpty()) {
            throw new IllegalStateException("no images were added");
        }
        int classes = MeanIoU.classCount(truths);
        return new Report(truths.size(), classes, boxArea, CoarseSegmentation.evaluate(heads, truths, classes),
                MeanIoU.ofForegroundMasks(first, truths, classes), MeanIoU.ofForegroundMasks(all, truths, classes),
                MeanIoU.ofForegroundMasks(box, truths, classes));
    }
}

package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Coarse segmentation from attention maps (docs/architecture.md §4, DINO's protocol as used in the segmentation
 * paper): each head's map is thresholded to keep 60% of its mass, and the masks are scored by
 * mIoU choosing the best head per class.
 */
public final class CoarseSegmentation {
    public static final double MASS = 0.6;

    private CoarseSegmentation() {}

    /**
     * The smallest set of cells whose weights sum to at least {@code fraction} of the total: sort
     * descending and keep cells until the running sum reaches the fraction (the crossing cell is
     * kept). Ties keep the lower index first.
     */
    public static boolean[] keepMass(float[] weights, double fraction) {
        Integer[] order = IntStream.range(0, weights.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -weights[i]));
        double total = 0;
        for (float w : weights) {
            total += w;
        }
        boolean[] keep = new boolean[weights.length];
        double running = 0;
        for (int i : order) {
            if (total <= 0 || running >= fraction * total) {
                break;
            }
            keep[i] = true;
            running += weights[i];
        }
        return keep;
    }

    /** Every head's mass mask on the map's grid: [head][cell]. */
    public static boolean[][] headMasks(HeadMaps maps, double fraction) {
        boolean[][] out = new boolean[maps.heads()][];
        for (int j = 0; j < maps.heads(); j++) {
            out[j] = keepMass(maps.head(j), fraction);
        }
        return out;
    }

    /**
     * @param meanIoU     mIoU with every image segmented by its class's best head
     * @param perClassIoU IoU of each class under that choice (NaN where the class never occurs)
     * @param bestHead    the chosen head per class (-1 where the class never occurs; 0 for background)
     * @param perHead     mIoU of each head used for every image
     */
    public record Evaluation(double meanIoU, double[] perClassIoU, int[] bestHead, double[] perHead) {}

    /**
     * Scores head masks against ground truth. Each image's mask from head j is labelled with the
     * image's class ({@link MeanIoU#imageClass}); for each foreground class the head with the
     * highest IoU on that class is chosen; the final mIoU uses, for every image, its class's head.
     *
     * @param headMasks per image, per head, a mask at the ground truth's resolution
     * @param truths    per image, the label map (0 background, 255 ignored)
     */
    public static Evaluation evaluate(List<boolean[][]> headMasks, List<int[]> truths, int classes) {
        int heads = headMasks.get(0).length;
        double[][] iouByHead = new double[heads][];
        double[] perHead = new double[heads];
        for (int j = 0; j < heads; j++) {
            List<boolean[]> masks = new ArrayList<>();
            for (boolean[][] m : headMasks) {
                masks.add(m[j]);
            }
            MeanIoU m = MeanIoU.ofForegroundMasks(masks, truths, classes);
            iouByHead[j] = m.perClass();
            perHead[j] = m.mean();
        }
        int[] best = new int[classes];
        Arrays.fill(best, -1);
        best[0] = 0;
        for (int c = 1; c < classes; c++) {
            double bestIou = -1;
            for (int j = 0; j < heads; j++) {
                double v = iouByHead[j][c];
                if (!Double.isNaN(v) && v > bestIou) {
                    bestIou = v;
                    best[c] = j;
                }
            }
        }
        MeanIoU chosen = new MeanIoU(classes);
        for (int i = 0; i < truths.size(); i++) {
            int c = MeanIoU.imageClass(truths.get(i));
            int head = best[c] < 0 ? 0 : best[c];
            chosen.add(MeanIoU.labelled(headMasks.get(i)[head], c), truths.get(i));
        }
        return new Evaluation(chosen.mean(), chosen.perClass(), best, perHead);
    }
}

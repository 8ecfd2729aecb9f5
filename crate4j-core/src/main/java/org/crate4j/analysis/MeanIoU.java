package org.crate4j.analysis;

import java.util.List;

/**
 * Mean intersection-over-union, PASCAL VOC style: intersections and unions are summed over the
 * whole dataset per class, pixels labelled 255 in the ground truth are ignored, and the mean is
 * over the classes that occur (non-empty union).
 */
public final class MeanIoU {
    public static final int IGNORE = 255;

    private final long[] intersection, union;

    public MeanIoU(int classes) {
        intersection = new long[classes];
        union = new long[classes];
    }

    public int classes() {
        return intersection.length;
    }

    /** Adds one image: predicted and true labels per pixel, same length. */
    public void add(int[] predicted, int[] truth) {
        if (predicted.length != truth.length) {
            throw new IllegalArgumentException("prediction has " + predicted.length + " pixels, ground truth " + truth.length);
        }
        for (int i = 0; i < truth.length; i++) {
            int t = truth[i], p = predicted[i];
            if (t == IGNORE) {
                continue;
            }
            check(t);
            check(p);
            if (t == p) {
                intersection[t]++;
                union[t]++;
            } else {
                union[t]++;
                union[p]++;
            }
        }
    }

    /** IoU of each class; NaN for classes that appear in neither prediction nor truth. */
    public double[] perClass() {
        double[] iou = new double[intersection.length];
        for (int c = 0; c < iou.length; c++) {
            iou[c] = union[c] == 0 ? Double.NaN : intersection[c] / (double) union[c];
        }
        return iou;
    }

    public double mean() {
        double sum = 0;
        int n = 0;
        for (double v : perClass()) {
            if (!Double.isNaN(v)) {
                sum += v;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /**
     * The class an image is about: its most frequent label other than background (0) and 255, or 0
     * when it has none. Class-agnostic masks are scored by labelling them with this class.
     */
    public static int imageClass(int[] truth) {
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        for (int t : truth) {
            if (t != 0 && t != IGNORE) {
                counts.merge(t, 1, Integer::sum);
            }
        }
        int best = 0, bestCount = 0;
        for (var e : counts.entrySet()) {
            if (e.getValue() > bestCount || (e.getValue() == bestCount && e.getKey() < best)) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        return best;
    }

    /** A foreground mask as a label map: {@code label} inside, background 0 outside. */
    public static int[] labelled(boolean[] mask, int label) {
        int[] out = new int[mask.length];
        for (int i = 0; i < mask.length; i++) {
            out[i] = mask[i] ? label : 0;
        }
        return out;
    }

    /** Scores one foreground mask per image, each labelled with its image's class. */
    public static MeanIoU ofForegroundMasks(List<boolean[]> masks, List<int[]> truths, int classes) {
        MeanIoU m = new MeanIoU(classes);
        for (int i = 0; i < masks.size(); i++) {
            m.add(labelled(masks.get(i), imageClass(truths.get(i))), truths.get(i));
        }
        return m;
    }

    /** One more than the largest label in the ground truths (255 excluded), at least 2. */
    public static int classCount(List<int[]> truths) {
        int max = 1;
        for (int[] t : truths) {
            for (int v : t) {
                if (v != IGNORE) {
                    max = Math.max(max, v);
                }
            }
        }
        return max + 1;
    }

    private void check(int label) {
        if (label < 0 || label >= intersection.length) {
            throw new org.crate4j.CrateException("label " + label + " is outside 0.." + (intersection.length - 1)
                    + " (and is not the ignore label 255)");
        }
    }
}

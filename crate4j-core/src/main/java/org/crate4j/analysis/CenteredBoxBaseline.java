package org.crate4j.analysis;

/**
 * The trivial segmentation an attention map must beat: a box in the middle of the image, of the
 * image's aspect ratio, covering a fixed fraction of its area. Photographers (and our synthetic
 * data, less so) centre objects, so this baseline is not as weak as it looks.
 */
public final class CenteredBoxBaseline {
    public static final double DEFAULT_AREA = 0.25;

    private CenteredBoxBaseline() {}

    /** {x0, y0, x1, y1}, exclusive ends, each side scaled by √area around the centre. */
    public static int[] box(int height, int width, double area) {
        if (!(area > 0 && area <= 1)) {
            throw new IllegalArgumentException("box area must be in (0, 1], got " + area);
        }
        double scale = Math.sqrt(area);
        int bw = Math.max(1, (int) Math.round(width * scale)), bh = Math.max(1, (int) Math.round(height * scale));
        int x0 = (width - bw) / 2, y0 = (height - bh) / 2;
        return new int[] {x0, y0, x0 + bw, y0 + bh};
    }

    public static boolean[] mask(int height, int width, double area) {
        int[] b = box(height, width, area);
        boolean[] m = new boolean[height * width];
        for (int y = b[1]; y < b[3]; y++) {
            for (int x = b[0]; x < b[2]; x++) {
                m[y * width + x] = true;
            }
        }
        return m;
    }
}

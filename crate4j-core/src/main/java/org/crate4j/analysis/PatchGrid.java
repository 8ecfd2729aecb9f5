package org.crate4j.analysis;

import java.util.ArrayDeque;

/** Small geometry on row-major grids: nearest-neighbour resizing, boxes, connected regions. */
public final class PatchGrid {
    private PatchGrid() {}

    /** Nearest-neighbour resize of a (gh, gw) mask to (height, width), e.g. patches to pixels. */
    public static boolean[] resize(boolean[] grid, int gh, int gw, int height, int width) {
        boolean[] out = new boolean[height * width];
        for (int y = 0; y < height; y++) {
            int gy = (int) ((long) y * gh / height);
            for (int x = 0; x < width; x++) {
                out[y * width + x] = grid[gy * gw + (int) ((long) x * gw / width)];
            }
        }
        return out;
    }

    /** Nearest-neighbour resize of a (gh, gw, channels) map. */
    public static float[] resize(float[] grid, int gh, int gw, int channels, int height, int width) {
        float[] out = new float[height * width * channels];
        for (int y = 0; y < height; y++) {
            int gy = (int) ((long) y * gh / height);
            for (int x = 0; x < width; x++) {
                int gx = (int) ((long) x * gw / width);
                System.arraycopy(grid, (gy * gw + gx) * channels, out, (y * width + x) * channels, channels);
            }
        }
        return out;
    }

    /** Tight box {x0, y0, x1, y1} (x1, y1 exclusive) around the true cells, or null if none. */
    public static int[] box(boolean[] mask, int height, int width) {
        int x0 = width, y0 = height, x1 = -1, y1 = -1;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (mask[y * width + x]) {
                    x0 = Math.min(x0, x);
                    y0 = Math.min(y0, y);
                    x1 = Math.max(x1, x);
                    y1 = Math.max(y1, y);
                }
            }
        }
        return x1 < 0 ? null : new int[] {x0, y0, x1 + 1, y1 + 1};
    }

    public static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /** The 4-connected region of true cells containing {@code seed} (empty if the seed is false). */
    public static boolean[] component(boolean[] mask, int height, int width, int seed) {
        boolean[] out = new boolean[mask.length];
        if (!mask[seed]) {
            return out;
        }
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        out[seed] = true;
        queue.add(seed);
        while (!queue.isEmpty()) {
            int i = queue.poll(), y = i / width, x = i % width;
            int[] neighbours = {y > 0 ? i - width : -1, y < height - 1 ? i + width : -1, x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1};
            for (int j : neighbours) {
                if (j >= 0 && mask[j] && !out[j]) {
                    out[j] = true;
                    queue.add(j);
                }
            }
        }
        return out;
    }

    public static boolean onBorder(int index, int height, int width) {
        int y = index / width, x = index % width;
        return y == 0 || x == 0 || y == height - 1 || x == width - 1;
    }

    /** How many of the four corner cells are true. */
    public static int corners(boolean[] mask, int height, int width) {
        return (mask[0] ? 1 : 0) + (mask[width - 1] ? 1 : 0) + (mask[(height - 1) * width] ? 1 : 0) + (mask[height * width - 1] ? 1 : 0);
    }
}

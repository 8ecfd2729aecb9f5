package org.crate4j.viz;

/**
 * A perceptually ordered colour scale from dark blue-violet through teal and green to yellow
 * (viridis-like anchors), so brighter always means more and the scale survives grey printing.
 */
public final class Colormap {
    private static final int[][] ANCHORS = {
        {68, 1, 84}, {72, 40, 120}, {62, 74, 137}, {49, 104, 142}, {38, 130, 142},
        {31, 158, 137}, {53, 183, 121}, {110, 206, 88}, {181, 222, 43}, {253, 231, 37}};

    private Colormap() {}

    /** Packed 0xRRGGBB for t in [0, 1] (clamped; NaN maps to 0). */
    public static int rgb(double t) {
        double v = Double.isNaN(t) ? 0 : Math.max(0, Math.min(1, t)) * (ANCHORS.length - 1);
        int i = Math.min((int) v, ANCHORS.length - 2);
        double f = v - i;
        int r = (int) Math.round(ANCHORS[i][0] + f * (ANCHORS[i + 1][0] - ANCHORS[i][0]));
        int g = (int) Math.round(ANCHORS[i][1] + f * (ANCHORS[i + 1][1] - ANCHORS[i][1]));
        int b = (int) Math.round(ANCHORS[i][2] + f * (ANCHORS[i + 1][2] - ANCHORS[i][2]));
        return (r << 16) | (g << 8) | b;
    }

    /** Distinct colours for object labels 1, 2, 3, … (label 0 is background). */
    public static int label(int label) {
        int[] palette = {0xE6194B, 0x3CB44B, 0x4363D8, 0xF58231, 0x911EB4, 0x42D4F4, 0xF032E6, 0xBFEF45};
        return palette[Math.floorMod(label - 1, palette.length)];
    }
}

package org.crate4j.analysis;

import java.util.Arrays;

/**
 * One image's per-head maps, row-major: {@code values[(j·height + y)·width + x]} for head j.
 */
public record HeadMaps(int heads, int height, int width, float[] values) {
    public HeadMaps {
        if (values.length != heads * height * width) {
            throw new IllegalArgumentException("head maps need " + heads + "·" + height + "·" + width + " values, got " + values.length);
        }
    }

    public int size() {
        return height * width;
    }

    public float[] head(int j) {
        return Arrays.copyOfRange(values, j * size(), (j + 1) * size());
    }

    /** The average over heads. */
    public float[] mean() {
        float[] m = new float[size()];
        for (int j = 0; j < heads; j++) {
            for (int i = 0; i < m.length; i++) {
                m[i] += values[j * size() + i] / heads;
            }
        }
        return m;
    }
}

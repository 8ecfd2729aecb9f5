package org.crate4j.api;

/**
 * Where the class token looks at one layer: for every head, its attention to each patch.
 *
 * @param layer       the 0-based layer
 * @param gridHeight  patch rows
 * @param gridWidth   patch columns
 * @param heads       {@code heads[h][p]}: head h's attention to patch p, patches in row-major order of
 *                    the grid (p = row · gridWidth + column); each row sums to 1 minus the class token's
 *                    attention to itself
 */
public record AttentionMap(int layer, int gridHeight, int gridWidth, float[][] heads) {
    /** Head h's attention to the patch at (row, column). */
    public float at(int head, int row, int column) {
        return heads[head][row * gridWidth + column];
    }
}

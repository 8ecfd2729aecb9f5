package org.crate4j.analysis;

/**
 * An analysis result read at one layer and laid out on that layer's patch grid (row-major: patch
 * {@code y·gridWidth + x} is row y, column x). What every exported array shares, whatever it holds.
 */
public interface OnPatchGrid {
    /** The 0-based layer the result was read at. */
    int layer();

    int gridHeight();

    int gridWidth();

    default int patches() {
        return gridHeight() * gridWidth();
    }
}

package org.crate4j.model;

import java.util.function.Consumer;
import org.crate4j.CrateException;

/**
 * How to read a family's weights file when its shapes do not say everything.
 *
 * @param preset      the preset the user named (or null): supplies what shapes cannot (heads)
 * @param heads       heads given explicitly (0: from our metadata, the preset, or the shapes)
 * @param imageHeight the image height the weights were trained at (0: a square grid is assumed)
 * @param imageWidth  the image width (0 with the height)
 * @param noHead      drop the classifier head's tensors and keep a freshly initialised head (fine-tuning)
 * @param classes     with noHead, the new class count (0: the file's or the preset's)
 */
public record LoadOptions(String preset, int heads, int imageHeight, int imageWidth, boolean noHead, int classes) {

    public static LoadOptions defaults() {
        return new LoadOptions(null, 0, 0, 0, false, 0);
    }

    public boolean hasImageSize() {
        return imageHeight > 0 && imageWidth > 0;
    }

    /**
     * The patch grid (rows, columns) of a learned position table {@code table} with {@code patches}
     * patch positions: from the image size given, else the preset's grid ({@code presetGrid}, null
     * when it has another patch count), else the square one.
     */
    public int[] grid(String source, String table, int patches, int patch, int[] presetGrid) {
        if (hasImageSize()) {
            int gh = imageHeight / patch, gw = imageWidth / patch;
            if (imageHeight % patch != 0 || imageWidth % patch != 0 || gh * gw != patches) {
                throw new CrateException(source + ": " + table + " has " + patches + " patch positions, but a "
                        + imageHeight + "x" + imageWidth + " image cut into " + patch + "x" + patch
                        + " patches has " + gh * gw + ": pass the image size the weights were trained at");
            }
            return new int[] {gh, gw};
        }
        if (presetGrid != null) {
            return presetGrid;
        }
        int side = (int) Math.round(Math.sqrt(patches));
        if (side * side != patches) {
            throw new CrateException(source + ": " + table + " has " + patches + " patch positions, which is not a square grid: "
                    + "pass the image size it was trained at");
        }
        return new int[] {side, side};
    }

    public LoadOptions with(Consumer<Builder> change) {
        Builder b = toBuilder();
        change.accept(b);
        return b.build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.preset = preset;
        b.heads = heads;
        b.imageHeight = imageHeight;
        b.imageWidth = imageWidth;
        b.noHead = noHead;
        b.classes = classes;
        return b;
    }

    public static Builder builder() {
        return defaults().toBuilder();
    }

    public static final class Builder {
        private String preset;
        private int heads, imageHeight, imageWidth, classes;
        private boolean noHead;

        private Builder() {}

        public Builder preset(String name) { preset = name; return this; }
        public Builder heads(int h) { heads = h; return this; }
        public Builder image(int height, int width) { imageHeight = height; imageWidth = width; return this; }
        public Builder noHead(boolean on) { noHead = on; return this; }
        public Builder classes(int n) { classes = n; return this; }

        public LoadOptions build() {
            return new LoadOptions(preset, heads, imageHeight, imageWidth, noHead, classes);
        }
    }
}

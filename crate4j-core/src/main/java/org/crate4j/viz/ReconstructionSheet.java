package org.crate4j.viz;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * A masked autoencoder's reconstructions, one row per image: original | masked input |
 * reconstruction | reconstruction with the visible patches pasted back.
 */
public final class ReconstructionSheet {
    /** Removed patches in the masked input: a muted blue no grey or colour photo is made of. */
    private static final int REMOVED = 0x4a5a8c;

    private ReconstructionSheet() {}

    /**
     * What a reconstruction produced, as plain arrays in the model's normalised units.
     *
     * @param original   (count, C, size, size) the model's input
     * @param prediction (count, C, size, size) the decoder's output for every patch
     * @param pasted     (count, C, size, size) input where visible, prediction where removed
     * @param mask       (count, N) 1 = removed, patches in row-major order
     */
    public record Rows(int count, int channels, int size, int patch, float[] original, float[] prediction, float[] pasted,
            float[] mask) {}

    /** The sheet; {@code mean}/{@code std} undo the input normalisation (one value or one per channel). */
    public static BufferedImage render(String heading, List<String> names, Rows r, float[] mean, float[] std) {
        List<TileGrid.Tile> tiles = new ArrayList<>();
        int per = r.channels() * r.size() * r.size();
        int grid = r.size() / r.patch();
        int removedCount = 0;
        for (int i = 0; i < r.count(); i++) {
            boolean[] removed = new boolean[grid * grid];
            for (int j = 0; j < removed.length; j++) {
                removed[j] = r.mask()[i * removed.length + j] > 0.5f;
                removedCount += removed[j] ? 1 : 0;
            }
            BufferedImage original = picture(r, r.original(), i * per, mean, std);
            tiles.add(new TileGrid.Tile(names.get(i), original));
            tiles.add(new TileGrid.Tile("masked input", masked(original, removed, grid, r.patch())));
            tiles.add(new TileGrid.Tile("reconstruction", picture(r, r.prediction(), i * per, mean, std)));
            tiles.add(new TileGrid.Tile("visible + reconstruction", picture(r, r.pasted(), i * per, mean, std)));
        }
        String removedPerImage = String.format("%.0f", removedCount / (double) Math.max(1, r.count()));
        return TileGrid.render(heading + " (" + removedPerImage + " of " + grid * grid + " patches removed)", tiles, 4, null);
    }

    /** CHW values at {@code offset}, un-normalised and clamped to [0, 1], as an RGB picture. */
    private static BufferedImage picture(Rows r, float[] chw, int offset, float[] mean, float[] std) {
        int s = r.size(), plane = s * s;
        float[] hwc = new float[plane * 3];
        for (int p = 0; p < plane; p++) {
            for (int k = 0; k < 3; k++) {
                int c = r.channels() == 1 ? 0 : k;
                float m = mean[mean.length == 1 ? 0 : c], sd = std[std.length == 1 ? 0 : c];
                hwc[p * 3 + k] = Math.max(0f, Math.min(1f, chw[offset + c * plane + p] * sd + m));
            }
        }
        return Overlays.rgb(hwc, s, s);
    }

    private static BufferedImage masked(BufferedImage original, boolean[] removed, int grid, int patch) {
        BufferedImage out = new BufferedImage(original.getWidth(), original.getHeight(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                boolean gone = removed[(y / patch) * grid + x / patch];
                out.setRGB(x, y, gone ? REMOVED : original.getRGB(x, y));
            }
        }
        return out;
    }
}

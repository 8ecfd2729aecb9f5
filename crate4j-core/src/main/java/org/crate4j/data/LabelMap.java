package org.crate4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.crate4j.CrateException;

/**
 * A segmentation ground truth: one integer label per pixel, row-major (0 background, 255 "ignore"
 * in the VOC convention). Read from palette PNGs (VOC's SegmentationClass: the palette index is the
 * label) or grey PNGs whose values are the labels.
 */
public record LabelMap(int height, int width, int[] labels) {
    public LabelMap {
        if (labels.length != height * width) {
            throw new IllegalArgumentException("label map needs " + height + "·" + width + " labels, got " + labels.length);
        }
    }

    public static LabelMap read(Path file) {
        BufferedImage bi;
        try {
            bi = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new CrateException("cannot read label map " + file + ": " + e.getMessage(), e);
        }
        if (bi == null) {
            throw new CrateException("cannot decode label map " + file + ": expected a palette or grey PNG");
        }
        int h = bi.getHeight(), w = bi.getWidth();
        Raster raster = bi.getRaster();
        int[] labels = new int[h * w];
        if (bi.getColorModel() instanceof IndexColorModel || raster.getNumBands() == 1) {
            // the stored samples are the labels; going through RGB would turn indices into colours
            raster.getSamples(0, 0, w, h, 0, labels);
            return new LabelMap(h, w, labels);
        }
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = raster.getSample(x, y, 0), g = raster.getSample(x, y, 1), b = raster.getSample(x, y, 2);
                if (r != g || g != b) {
                    throw new CrateException("label map " + file + " is a colour image (pixel " + x + "," + y + " is " + r + "," + g + "," + b
                            + "): pass palette PNGs (like VOC's SegmentationClass) or grey PNGs whose values are the labels");
                }
                labels[y * w + x] = r;
            }
        }
        return new LabelMap(h, w, labels);
    }

    /** Writes an 8-bit grey PNG whose values are the labels (0–255). */
    public void writePng(Path file) {
        BufferedImage bi = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < labels.length; i++) {
            int v = labels[i];
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("label " + v + " does not fit an 8-bit PNG");
            }
            bi.getRaster().setSample(i % width, i / width, 0, v);
        }
        try {
            if (!ImageIO.write(bi, "png", file.toFile())) {
                throw new CrateException("no PNG encoder available to write " + file);
            }
        } catch (IOException e) {
            throw new CrateException("cannot write label map " + file + ": " + e.getMessage(), e);
        }
    }
}

package org.crate4j.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import org.crate4j.data.Image;

/** Maps and masks drawn over the picture they were computed from. */
public final class Overlays {
    private Overlays() {}

    public static BufferedImage image(Image img) {
        Headless.ensure();
        BufferedImage out = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                out.setRGB(x, y, pixel(img, y, x));
            }
        }
        return out;
    }

    /** The picture blended with the colour-mapped values (each in [0, 1]); alpha is the map's weight. */
    public static BufferedImage heatmap(Image base, float[] values, double alpha) {
        check(base, values.length);
        BufferedImage out = image(base);
        for (int y = 0; y < base.height(); y++) {
            for (int x = 0; x < base.width(); x++) {
                out.setRGB(x, y, blend(pixel(base, y, x), Colormap.rgb(values[y * base.width() + x]), alpha));
            }
        }
        return out;
    }

    /** The picture with the mask tinted and everything outside it dimmed. */
    public static BufferedImage mask(Image base, boolean[] mask, int color) {
        check(base, mask.length);
        BufferedImage out = image(base);
        for (int y = 0; y < base.height(); y++) {
            for (int x = 0; x < base.width(); x++) {
                int p = pixel(base, y, x);
                out.setRGB(x, y, mask[y * base.width() + x] ? blend(p, color, 0.45) : blend(p, 0x000000, 0.55));
            }
        }
        return out;
    }

    /** Object labels 1, 2, … tinted in distinct colours; background (0) dimmed. */
    public static BufferedImage labels(Image base, int[] labels) {
        check(base, labels.length);
        BufferedImage out = image(base);
        for (int y = 0; y < base.height(); y++) {
            for (int x = 0; x < base.width(); x++) {
                int l = labels[y * base.width() + x], p = pixel(base, y, x);
                out.setRGB(x, y, l == 0 ? blend(p, 0x000000, 0.55) : blend(p, Colormap.label(l), 0.5));
            }
        }
        return out;
    }

    /** Draws boxes {x0, y0, x1, y1} (exclusive ends) in the label colours 1, 2, … */
    public static BufferedImage boxes(BufferedImage img, List<int[]> boxes) {
        Graphics2D g = img.createGraphics();
        g.setStroke(new BasicStroke(Math.max(1f, img.getWidth() / 128f)));
        for (int i = 0; i < boxes.size(); i++) {
            int[] b = boxes.get(i);
            g.setColor(new Color(Colormap.label(i + 1)));
            g.drawRect(b[0], b[1], b[2] - b[0] - 1, b[3] - b[1] - 1);
        }
        g.dispose();
        return img;
    }

    /** An (h, w, 3) float image with values in [0, 1]. */
    public static BufferedImage rgb(float[] hwc, int height, int width) {
        Headless.ensure();
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < height * width; i++) {
            out.setRGB(i % width, i / width, (byte8(hwc[i * 3]) << 16) | (byte8(hwc[i * 3 + 1]) << 8) | byte8(hwc[i * 3 + 2]));
        }
        return out;
    }

    /** A label map as an 8-bit grey PNG image whose sample values are the labels themselves. */
    public static BufferedImage labelMap(int[] labels, int height, int width) {
        Headless.ensure();
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < labels.length; i++) {
            out.getRaster().setSample(i % width, i / width, 0, Math.min(255, Math.max(0, labels[i])));
        }
        return out;
    }

    private static int pixel(Image img, int y, int x) {
        if (img.channels() == 1) {
            int v = img.get(y, x, 0);
            return (v << 16) | (v << 8) | v;
        }
        return (img.get(y, x, 0) << 16) | (img.get(y, x, 1) << 8) | img.get(y, x, 2);
    }

    static int blend(int a, int b, double alpha) {
        int r = (int) Math.round((1 - alpha) * ((a >> 16) & 255) + alpha * ((b >> 16) & 255));
        int g = (int) Math.round((1 - alpha) * ((a >> 8) & 255) + alpha * ((b >> 8) & 255));
        int bl = (int) Math.round((1 - alpha) * (a & 255) + alpha * (b & 255));
        return (r << 16) | (g << 8) | bl;
    }

    private static int byte8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }

    private static void check(Image base, int values) {
        if (values != base.height() * base.width()) {
            throw new IllegalArgumentException("overlay has " + values + " values for a " + base.height() + "x" + base.width() + " image");
        }
    }
}

package org.crate4j.data;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import org.crate4j.CrateException;
import org.crate4j.io.Inputs;

/** Decoding and encoding of image files with javax.imageio. */
public final class ImageFiles {
    /** Extensions ImageIO can decode out of the box. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    static {
        // The disk cache only adds temp-file I/O for file inputs and races between worker threads.
        ImageIO.setUseCache(false);
    }

    private ImageFiles() {}

    public static boolean isImageFile(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /**
     * Decodes any supported file to 3-channel RGB (grayscale replicated, alpha dropped). A missing
     * file, a directory, an unreadable file and a corrupt or truncated one get different messages:
     * ImageIO decodes a JPEG cut short without complaint (it fills the rest), so the markers are
     * checked first ({@link ImageIntegrity}).
     */
    public static Image readRgb(Path file) {
        return decodeRgb(file, readBytes(file));
    }

    /**
     * Decodes an image held in memory (an upload) exactly as {@link #readRgb} decodes a file, with the
     * same checks for truncation; {@code file} is the name the messages give it (its extension is
     * read as a file's would be), nothing is read from it.
     */
    public static Image decodeRgb(Path file, byte[] bytes) {
        String damage = ImageIntegrity.damage(file, bytes);
        if (damage != null) {
            throw new CorruptImageException(file, damage);
        }
        BufferedImage bi;
        try {
            bi = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new CorruptImageException(file, "cannot be decoded (" + e.getMessage() + ")");
        }
        if (bi == null) {
            throw new CorruptImageException(file, "is not a readable JPEG/PNG/BMP/GIF image");
        }
        return toRgb(bi);
    }

    private static byte[] readBytes(Path file) {
        Inputs.requireFile(file, "image");
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CrateException("image " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** An image already in memory as 3-channel RGB (grayscale replicated, alpha dropped), as {@link #readRgb} decodes files. */
    public static Image fromBufferedImage(BufferedImage bi) {
        if (bi == null) {
            throw new CrateException("no image given (null)");
        }
        return toRgb(bi);
    }

    static Image toRgb(BufferedImage bi) {
        int h = bi.getHeight(), w = bi.getWidth();
        byte[] px = new byte[h * w * 3];
        Raster raster = bi.getRaster();
        if (raster.getNumBands() == 1 && !(bi.getColorModel() instanceof IndexColorModel)) {
            // getRGB would push plain gray through a linear-to-sRGB conversion and brighten it;
            // the stored samples are what every other decoder (PIL, torchvision) returns.
            long max = (1L << raster.getSampleModel().getSampleSize(0)) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) ((row[x] * 255L + max / 2) / max);
                    int o = (y * w + x) * 3;
                    px[o] = v;
                    px[o + 1] = v;
                    px[o + 2] = v;
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                bi.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x], o = (y * w + x) * 3;
                    px[o] = (byte) (argb >>> 16);
                    px[o + 1] = (byte) (argb >>> 8);
                    px[o + 2] = (byte) argb;
                }
            }
        }
        return new Image(h, w, 3, px);
    }

    /** Encodes an 8-bit image as PNG (used for previews and tests). */
    public static void writePng(Image img, Path file) {
        write(img, file, "png");
    }

    /** Encodes an 8-bit image as {@code png} or {@code jpg} (ImageIO's default JPEG quality). */
    public static void write(Image img, Path file, String format) {
        int type = img.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB;
        BufferedImage bi = new BufferedImage(img.width(), img.height(), type);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                if (img.channels() == 1) {
                    bi.getRaster().setSample(x, y, 0, img.get(y, x, 0));
                } else {
                    bi.setRGB(x, y, (img.get(y, x, 0) << 16) | (img.get(y, x, 1) << 8) | img.get(y, x, 2));
                }
            }
        }
        try {
            if (!ImageIO.write(bi, format, file.toFile())) {
                throw new CrateException("no " + format + " encoder available to write " + file);
            }
        } catch (IOException e) {
            throw new CrateException("cannot write image " + file + ": " + e.getMessage(), e);
        }
    }
}

package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged files are told apart from whole ones, and each kind of failure gets its own message. */
class ImageIntegrityTest {
    @TempDir
    Path dir;

    static byte[] encode(String format) throws Exception {
        BufferedImage bi = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(1);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 48; x++) {
                bi.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(bi, format, out));
        return out.toByteArray();
    }

    Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void aJpegCutAnywhereInsideItsScanIsCalledTruncated() throws Exception {
        byte[] jpeg = encode("jpg");
        Image whole = ImageFiles.readRgb(write("whole.jpg", jpeg));
        assertEquals(32, whole.height());
        for (double f : new double[] {0.95, 0.7, 0.5}) {
            Path cut = write("cut" + f + ".jpg", Arrays.copyOf(jpeg, (int) (jpeg.length * f)));
            // (stock ImageIO decodes such a file without complaint, the missing rows grey)
            CorruptImageException e = assertThrows(CorruptImageException.class, () -> ImageFiles.readRgb(cut));
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(cut.toString()), e.getMessage());
            assertEquals(cut, e.file());
        }
        // bytes after the end-of-image marker (some cameras pad files) are not damage
        byte[] padded = Arrays.copyOf(jpeg, jpeg.length + 100);
        assertArrayEquals(whole.pixels(), ImageFiles.readRgb(write("padded.jpg", padded)).pixels());
    }

    @Test
    void aPngWithoutItsEndChunkIsCalledTruncated() throws Exception {
        byte[] png = encode("png");
        assertEquals(48, ImageFiles.readRgb(write("whole.png", png)).width());
        Path cut = write("cut.png", Arrays.copyOf(png, png.length - 20));
        CorruptImageException e = assertThrows(CorruptImageException.class, () -> ImageFiles.readRgb(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingDirectoryEmptyAndGarbageFilesGetDifferentMessages() throws Exception {
        String missing = assertThrows(CrateException.class, () -> ImageFiles.readRgb(dir.resolve("nope.png"))).getMessage();
        assertTrue(missing.endsWith("does not exist"), missing);
        Files.createDirectory(dir.resolve("folder.png"));
        String folder = assertThrows(CrateException.class, () -> ImageFiles.readRgb(dir.resolve("folder.png"))).getMessage();
        assertTrue(folder.contains("is a directory"), folder);
        String empty = assertThrows(CorruptImageException.class, () -> ImageFiles.readRgb(write("empty.jpg", new byte[0]))).getMessage();
        assertTrue(empty.contains("empty"), empty);
        String garbage = assertThrows(CorruptImageException.class,
                () -> ImageFiles.readRgb(write("text.png", "hello, not an image".getBytes()))).getMessage();
        assertTrue(garbage.contains("not a readable"), garbage);
    }

    @Test
    void twelveMonkeysJpegReaderIsRegistered() {
        boolean found = false;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext(); ) {
            found |= it.next().getClass().getName().startsWith("com.twelvemonkeys");
        }
        assertTrue(found, "the TwelveMonkeys JPEG plugin (CMYK/YCCK, odd ICC profiles) should be on the class path");
    }
}

package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistIdxTest {
    @TempDir
    Path tmp;

    static byte[] idxImages(int magic, int count, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * rows * cols);
        b.putInt(magic).putInt(count).putInt(rows).putInt(cols);
        for (int i = 0; i < count * rows * cols; i++) {
            b.put((byte) (i * 7 + 3));
        }
        return b.array();
    }

    static byte[] idxLabels(int magic, int... labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(magic).putInt(labels.length);
        for (int l : labels) {
            b.put((byte) l);
        }
        return b.array();
    }

    static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
        if (!gzip) {
            Files.write(file, bytes);
            return;
        }
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(bytes);
        }
        Files.write(Path.of(file + ".gz"), bos.toByteArray());
    }

    /** Writes a 3-image 2×3 train split and a 2-image test split. */
    static void writeTiny(Path dir, boolean gzip) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve("train-images-idx3-ubyte"), idxImages(0x803, 3, 2, 3), gzip);
        write(dir.resolve("train-labels-idx1-ubyte"), idxLabels(0x801, 4, 0, 9), gzip);
        write(dir.resolve("t10k-images-idx3-ubyte"), idxImages(0x803, 2, 2, 3), gzip);
        write(dir.resolve("t10k-labels-idx1-ubyte"), idxLabels(0x801, 1, 2), gzip);
    }

    @Test
    void parsesPlainAndGzipIdentically() throws IOException {
        writeTiny(tmp.resolve("plain"), false);
        writeTiny(tmp.resolve("zipped"), true);
        for (String name : new String[] {"plain", "zipped"}) {
            Dataset ds = MnistIdx.load(tmp.resolve(name), true);
            assertEquals(3, ds.size());
            assertEquals(1, ds.channels());
            assertEquals(4, ds.label(0));
            assertEquals(9, ds.label(2));
            Image img = ds.image(1);
            assertEquals(2, img.height());
            assertEquals(3, img.width());
            // image 1 starts at pixel index 6; pixel (1,2) is flat index 6+5=11 → 11*7+3 = 80
            assertEquals(80, img.get(1, 2, 0));
            assertEquals(MnistIdx.DIGIT_CLASSES, ds.classes());
        }
        Dataset test = MnistIdx.load(tmp.resolve("zipped"), false);
        assertEquals(2, test.size());
        assertEquals(2, test.label(1));
    }

    @Test
    void fashionDirectoryGetsFashionNames() throws IOException {
        Path dir = tmp.resolve("fashion-mnist");
        writeTiny(dir, true);
        Dataset ds = MnistIdx.load(dir, true);
        assertEquals("Ankle boot", ds.classes().get(ds.label(2)));
        assertEquals("Coat", ds.classes().get(ds.label(0)));
    }

    @Test
    void badMagicIsRejectedNamingTheFile() throws IOException {
        writeTiny(tmp, false);
        write(tmp.resolve("train-images-idx3-ubyte"), idxImages(0x801, 3, 2, 3), false);
        CrateException e = assertThrows(CrateException.class, () -> MnistIdx.load(tmp, true));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000803"), e.getMessage());
    }

    @Test
    void countMismatchAndBadLabelsAreRejected() throws IOException {
        writeTiny(tmp, false);
        write(tmp.resolve("train-labels-idx1-ubyte"), idxLabels(0x801, 1, 2), false);
        assertThrows(CrateException.class, () -> MnistIdx.load(tmp, true));
        write(tmp.resolve("train-labels-idx1-ubyte"), idxLabels(0x801, 1, 2, 10), false);
        CrateException e = assertThrows(CrateException.class, () -> MnistIdx.load(tmp, true));
        assertTrue(e.getMessage().contains("label 10"), e.getMessage());
    }

    @Test
    void truncatedImagesAreRejected() throws IOException {
        writeTiny(tmp, false);
        byte[] full = idxImages(0x803, 3, 2, 3);
        Files.write(tmp.resolve("train-images-idx3-ubyte"), java.util.Arrays.copyOf(full, full.length - 1));
        assertThrows(CrateException.class, () -> MnistIdx.load(tmp, true));
    }

    @Test
    void missingFileNamesTheFile() {
        CrateException e = assertThrows(CrateException.class, () -> MnistIdx.load(tmp, false));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void realFashionMnistTestSplit() {
        Path dir = Path.of("/usr/share/datasets/fashion-mnist");
        Assumptions.assumeTrue(Files.exists(dir.resolve("t10k-images-idx3-ubyte.gz")));
        Dataset ds = MnistIdx.load(dir, false);
        assertEquals(10000, ds.size());
        assertEquals(MnistIdx.FASHION_CLASSES, ds.classes());
        assertEquals(9, ds.label(0));
        assertEquals(2, ds.label(1));
        Image first = ds.image(0);
        assertEquals(28, first.height());
        int sum = 0;
        for (byte b : first.pixels()) {
            sum += b & 0xFF;
        }
        assertEquals(33456, sum);
        assertEquals(110, first.get(14, 14, 0));
    }
}

package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarBinaryTest {
    @TempDir
    Path tmp;

    /** Records whose pixel at (c, y, x) is (c*50 + y + x + seed) mod 256. */
    static byte[] records(int labelBytes, int seed, int... labels) {
        int rec = labelBytes + 3072;
        byte[] out = new byte[labels.length * rec];
        for (int r = 0; r < labels.length; r++) {
            out[r * rec + labelBytes - 1] = (byte) labels[r];
            if (labelBytes == 2) {
                out[r * rec] = (byte) (labels[r] / 5); // coarse label
            }
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        out[r * rec + labelBytes + c * 1024 + y * 32 + x] = (byte) (c * 50 + y + x + seed + r);
                    }
                }
            }
        }
        return out;
    }

    static void writeCifar10(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 1; i <= 5; i++) {
            Files.write(dir.resolve("data_batch_" + i + ".bin"), records(1, i, i, 9 - i));
        }
        Files.write(dir.resolve("test_batch.bin"), records(1, 0, 3));
        Files.writeString(dir.resolve("batches.meta.txt"), String.join("\n", CifarBinary.CIFAR10_CLASSES) + "\n\n");
    }

    @Test
    void cifar10TrainConcatenatesBatchesAndConvertsToHwc() throws IOException {
        writeCifar10(tmp);
        Dataset ds = CifarBinary.load(tmp, true);
        assertEquals(10, ds.size());
        assertEquals(3, ds.channels());
        assertEquals(List.of(1, 8, 2, 7), List.of(ds.label(0), ds.label(1), ds.label(2), ds.label(3)));
        Image img = ds.image(3); // batch 2, record 1: seed 2, r 1
        assertEquals(32, img.height());
        assertEquals((2 * 50 + 4 + 5 + 2 + 1) & 0xFF, img.get(4, 5, 2));
        assertEquals(4 + 5 + 3, img.get(4, 5, 0));
        assertEquals("airplane", ds.classes().get(0));
        Dataset test = CifarBinary.load(tmp, false);
        assertEquals(1, test.size());
        assertEquals(3, test.label(0));
    }

    @Test
    void acceptsExtractedSubfolderAndDefaultsNames() throws IOException {
        Path sub = tmp.resolve(CifarBinary.CIFAR10_SUBDIR);
        writeCifar10(sub);
        Files.delete(sub.resolve("batches.meta.txt"));
        Dataset ds = CifarBinary.load(tmp, false);
        assertEquals(CifarBinary.CIFAR10_CLASSES, ds.classes());
    }

    @Test
    void cifar100UsesFineLabels() throws IOException {
        Files.write(tmp.resolve("train.bin"), records(2, 0, 99, 42, 7));
        Files.write(tmp.resolve("test.bin"), records(2, 0, 55));
        Dataset ds = CifarBinary.load(tmp, true);
        assertEquals(3, ds.size());
        assertEquals(99, ds.label(0));
        assertEquals(42, ds.label(1));
        assertEquals(100, ds.classes().size());
        assertEquals(1 + 2 + 1, ds.image(1).get(1, 2, 0));
    }

    @Test
    void truncatedOrMissingBatchIsAnError() throws IOException {
        writeCifar10(tmp);
        Files.write(tmp.resolve("data_batch_3.bin"), new byte[3072]);
        CrateException e = assertThrows(CrateException.class, () -> CifarBinary.load(tmp, true));
        assertTrue(e.getMessage().contains("data_batch_3.bin"), e.getMessage());
        Files.delete(tmp.resolve("data_batch_3.bin"));
        e = assertThrows(CrateException.class, () -> CifarBinary.load(tmp, true));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }
}

package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticObjectsTest {
    @TempDir
    Path dir;

    @Test
    void masksLabelTheObjectWithItsClassAndKeepItInsideTheImage() {
        SplittableRandom rng = new SplittableRandom(4);
        int[] seen = new int[3];
        for (int i = 0; i < 60; i++) {
            SyntheticObjects.Sample s = SyntheticObjects.render(64, rng.split());
            int object = 0;
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int l = s.mask().labels()[y * 64 + x];
                    assertTrue(l == 0 || l == s.label() + 1, "only background and the image's class");
                    if (l != 0) {
                        object++;
                    }
                }
            }
            double fraction = object / 4096.0;
            assertTrue(fraction > 0.02 && fraction < 0.4, "object covers " + fraction + " of the image");
            seen[s.label()]++;
        }
        for (int c = 0; c < 3; c++) {
            assertTrue(seen[c] > 5, "every class occurs: " + java.util.Arrays.toString(seen));
        }
    }

    @Test
    void writesAnImageFolderWithOneMaskPerImage() throws IOException {
        SyntheticObjects.write(dir, 7, 3, 32, 9);
        ImageFolder train = ImageFolder.scan(dir.resolve("train"));
        assertEquals(7, train.size());
        assertEquals(SyntheticObjects.CLASSES, train.classes().subList(0, 3));
        try (Stream<Path> masks = Files.list(dir.resolve("masks"))) {
            assertEquals(10, masks.count());
        }
        for (int i = 0; i < train.size(); i++) {
            Path f = train.file(i);
            LabelMap m = LabelMap.read(dir.resolve("masks").resolve(f.getFileName()));
            assertEquals(train.label(i) + 1, java.util.Arrays.stream(m.labels()).max().getAsInt(), "mask value is folder class + 1");
        }
    }

    @Test
    void readsPaletteIndicesAsLabelsNotColours() throws IOException {
        byte[] r = new byte[256], g = new byte[256], b = new byte[256];
        r[1] = (byte) 128; g[2] = (byte) 128; r[255] = g[255] = b[255] = (byte) 224; // VOC-like palette
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, r, g, b));
        int[] labels = {0, 1, 2, 255, 1, 0};
        img.getRaster().setSamples(0, 0, 3, 2, 0, labels);
        Path p = dir.resolve("voc.png");
        ImageIO.write(img, "png", p.toFile());
        LabelMap m = LabelMap.read(p);
        assertEquals(2, m.height());
        assertArrayEquals(labels, m.labels());
    }
}

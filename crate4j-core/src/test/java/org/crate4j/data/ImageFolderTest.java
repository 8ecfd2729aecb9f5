package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path tmp;

    static Image solid(int h, int w, int channels, int... value) {
        byte[] px = new byte[h * w * channels];
        for (int i = 0; i < h * w; i++) {
            for (int c = 0; c < channels; c++) {
                px[i * channels + c] = (byte) value[c];
            }
        }
        return new Image(h, w, channels, px);
    }

    /** cats: two RGB PNGs + one corrupt; dogs: one grayscale PNG (upper-case extension) in a subfolder. */
    static void writeTree(Path root) throws IOException {
        Files.createDirectories(root.resolve("cats"));
        Files.createDirectories(root.resolve("dogs/nested"));
        ImageFiles.writePng(solid(4, 5, 3, 10, 20, 30), root.resolve("cats/a.png"));
        ImageFiles.writePng(solid(4, 5, 3, 200, 100, 50), root.resolve("cats/b.png"));
        Files.write(root.resolve("cats/c.png"), new byte[] {1, 2, 3, 4, 5});
        Files.writeString(root.resolve("cats/notes.txt"), "not an image");
        ImageFiles.writePng(solid(4, 5, 1, 77), root.resolve("dogs/nested/d.PNG"));
    }

    @Test
    void scansSortedClassesAndDecodesToRgb() throws IOException {
        writeTree(tmp);
        ImageFolder ds = ImageFolder.scan(tmp);
        assertEquals(List.of("cats", "dogs"), ds.classes());
        assertEquals(4, ds.size());
        assertEquals(3, ds.channels());
        assertEquals(List.of(0, 0, 0, 1), List.of(ds.label(0), ds.label(1), ds.label(2), ds.label(3)));
        Image b = ds.image(1);
        assertEquals(List.of(200, 100, 50), List.of(b.get(2, 3, 0), b.get(2, 3, 1), b.get(2, 3, 2)));
        Image gray = ds.image(3);
        assertEquals(3, gray.channels());
        assertEquals(List.of(77, 77, 77), List.of(gray.get(0, 0, 0), gray.get(0, 0, 1), gray.get(0, 0, 2)));
        CrateException e = assertThrows(CrateException.class, () -> ds.image(2));
        assertTrue(e.getMessage().contains("c.png"), e.getMessage());
    }

    @Test
    void substitutingLoaderKeepsBatchesFullAndCountsTheCorruptFileOnce() throws IOException {
        writeTree(tmp);
        ImageFolder ds = ImageFolder.scan(tmp);
        try (DataLoader loader = new DataLoader(ds, null, 2, false, false, 1, 2, 2).onBadFile(DataLoader.OnBadFile.SUBSTITUTE)) {
            int seen = 0;
            for (Batch b : loader) {
                assertEquals(2, b.size());
                assertEquals(2 * 3 * 4 * 5, b.images().length);
                seen += b.size();
            }
            assertEquals(4, seen);
            assertEquals(1, loader.badFiles().count());
            assertEquals(tmp.resolve("cats/c.png").toString(), loader.badFiles().first().get(0).file());
            loader.setEpoch(1);
            loader.iterator().forEachRemaining(b -> { });
            assertEquals(1, loader.badFiles().count(), "the same file is counted once");
        }
    }

    @Test
    void emptyClassFolderIsAnError() throws IOException {
        writeTree(tmp);
        Files.createDirectories(tmp.resolve("empty"));
        CrateException e = assertThrows(CrateException.class, () -> ImageFolder.scan(tmp));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void missingOrEmptyRootIsAnError() {
        CrateException e = assertThrows(CrateException.class, () -> ImageFolder.scan(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
        e = assertThrows(CrateException.class, () -> ImageFolder.scan(tmp));
        assertTrue(e.getMessage().contains("no class subfolders"), e.getMessage());
    }
}

package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad file is never passed over in silence: skipped, substituted or fatal, it is counted and named. */
class UnreadableFilesTest {
    @TempDir
    Path tmp;

    /**
     * An image folder of 4x4 images: class a has a0.png, a1.jpg, a2.png (garbage bytes), a3.png;
     * class b has b0.png, b1.jpg (a JPEG cut short), b2.png. Dataset order: a0 a1 a2 a3 b0 b1 b2.
     */
    static Path corruptFolder(Path root) throws IOException {
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b"));
        ImageFiles.writePng(ImageFolderTest.solid(4, 4, 3, 10, 20, 30), root.resolve("a/a0.png"));
        ImageFiles.write(ImageFolderTest.solid(4, 4, 3, 40, 50, 60), root.resolve("a/a1.jpg"), "jpg");
        byte[] garbage = new byte[300];
        new Random(1).nextBytes(garbage);
        Files.write(root.resolve("a/a2.png"), garbage);
        ImageFiles.writePng(ImageFolderTest.solid(4, 4, 3, 70, 80, 90), root.resolve("a/a3.png"));
        ImageFiles.writePng(ImageFolderTest.solid(4, 4, 3, 200, 10, 10), root.resolve("b/b0.png"));
        ImageFiles.write(ImageFolderTest.solid(16, 16, 3, 90, 90, 200), root.resolve("b/b1.jpg"), "jpg");
        byte[] jpeg = Files.readAllBytes(root.resolve("b/b1.jpg"));
        Files.write(root.resolve("b/b1.jpg"), Arrays.copyOf(jpeg, jpeg.length - 3)); // the end of the scan and its end marker
        ImageFiles.writePng(ImageFolderTest.solid(4, 4, 3, 1, 2, 3), root.resolve("b/b2.png"));
        return root;
    }

    static List<Batch> epoch(DataLoader loader) {
        List<Batch> out = new ArrayList<>();
        loader.forEach(out::add);
        return out;
    }

    @Test
    void skippingLoaderReturnsEachReadableImageOnceAndNamesTheOthers() throws IOException {
        ImageFolder ds = ImageFolder.scan(corruptFolder(tmp));
        for (int workers : new int[] {0, 2}) {
            try (DataLoader loader = new DataLoader(ds, null, 3, false, false, 0, workers, 2)) {
                List<Batch> batches = epoch(loader);
                // [a0 a1 a2] [a3 b0 b1] [b2]: a2 and b1 are left out of their batches
                assertEquals(List.of(2, 2, 1), batches.stream().map(Batch::size).toList());
                assertArrayEquals(new int[] {0, 0, 0, 1, 1}, batches.stream().flatMapToInt(b -> Arrays.stream(b.labels())).toArray());
                assertEquals(2 * 3 * 4 * 4, batches.get(1).images().length);
                assertEquals(70 / 255f, batches.get(1).images()[0], 1e-6, "a3");
                assertEquals(200 / 255f, batches.get(1).images()[3 * 16], 1e-6, "then b0");
                assertEquals(1 / 255f, batches.get(2).images()[0], 1e-6, "b2");
                BadFiles bad = loader.badFiles();
                assertEquals(2, bad.count());
                assertEquals(List.of(tmp.resolve("a/a2.png").toString(), tmp.resolve("b/b1.jpg").toString()),
                        bad.first().stream().map(BadFiles.Entry::file).toList());
                assertEquals(tmp.resolve("a/a2.png") + ", " + tmp.resolve("b/b1.jpg"), bad.names());
                assertTrue(bad.problems().contains("b1.jpg is truncated (a JPEG without its end-of-image marker)"), bad.problems());
                assertTrue(bad.problems().contains("a2.png is not a readable JPEG/PNG/BMP/GIF image"), bad.problems());
            }
        }
    }

    @Test
    void aBatchWhoseEveryFileIsBadIsNotReturned() throws IOException {
        ImageFolder ds = ImageFolder.scan(corruptFolder(tmp));
        try (DataLoader loader = new DataLoader(ds, null, 1, false, false, 0, 1, 2)) {
            List<Batch> batches = epoch(loader);
            assertEquals(5, batches.size(), "7 batches of one, two of them empty");
            assertTrue(batches.stream().allMatch(b -> b.size() == 1));
        }
    }

    @Test
    void strictLoaderStopsAtTheFirstBadFileInOrder() throws IOException {
        ImageFolder ds = ImageFolder.scan(corruptFolder(tmp));
        for (int workers : new int[] {0, 3}) {
            try (DataLoader loader = new DataLoader(ds, null, 1, false, false, 0, workers, 4).onBadFile(DataLoader.OnBadFile.FAIL)) {
                CrateException e = assertThrows(CrateException.class, () -> epoch(loader));
                assertEquals("image " + tmp.resolve("a/a2.png") + " is not a readable JPEG/PNG/BMP/GIF image (--strict-data stops at the "
                        + "first bad file)", e.getMessage());
            }
        }
    }

    @Test
    void aBadFileMetElsewhereIsReadAgainToSayWhatIsWrong() throws IOException {
        ImageFolder ds = ImageFolder.scan(corruptFolder(tmp));
        try (DataLoader loader = new DataLoader(ds, null, 2, false, false, 0, 0, 1)) {
            BadFiles bad = loader.badFiles(new int[] {5, 2, 5});
            assertEquals(2, bad.count(), "distinct");
            assertEquals(List.of(2, 5), bad.first().stream().map(BadFiles.Entry::index).toList());
            assertTrue(bad.first().get(1).problem().contains("b1.jpg is truncated"), bad.problems());
        }
    }

    @Test
    void aReportNamesTheFirstFewAndCountsTheRest() {
        List<BadFiles.Entry> first = new ArrayList<>();
        for (int i = 0; i < BadFiles.NAMED; i++) {
            first.add(new BadFiles.Entry(i, "f" + i + ".png", "image f" + i + ".png is empty (0 bytes)"));
        }
        BadFiles bad = new BadFiles(12, first);
        assertEquals("f0.png, f1.png, f2.png, f3.png, f4.png, … and 7 more", bad.names());
        assertTrue(bad.problems().endsWith("image f4.png is empty (0 bytes); … and 7 more"), bad.problems());
    }
}

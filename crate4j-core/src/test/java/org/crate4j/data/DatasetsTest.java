package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path tmp;

    @Test
    void detectsEachLayout() throws IOException {
        MnistIdxTest.writeTiny(tmp.resolve("idx"), true);
        assertEquals(3, Datasets.open(tmp.resolve("idx"), "train").size());
        assertEquals(2, Datasets.open(tmp.resolve("idx"), "test").size());

        CifarBinaryTest.writeCifar10(tmp.resolve("cifar/" + CifarBinary.CIFAR10_SUBDIR));
        assertEquals(10, Datasets.open(tmp.resolve("cifar"), "train").size());
        assertEquals(1, Datasets.open(tmp.resolve("cifar"), "val").size());

        ImageFolderTest.writeTree(tmp.resolve("folder/train"));
        Files.createDirectories(tmp.resolve("folder/val/cats"));
        ImageFiles.writePng(ImageFolderTest.solid(2, 2, 3, 1, 2, 3), tmp.resolve("folder/val/cats/x.jpg.png"));
        assertEquals(4, Datasets.open(tmp.resolve("folder"), "train").size());
        assertEquals(1, Datasets.open(tmp.resolve("folder"), "val").size());
    }

    @Test
    void unknownLayoutAndSplitAreErrors() {
        assertThrows(CrateException.class, () -> Datasets.open(tmp, "train"));
        assertThrows(CrateException.class, () -> Datasets.open(tmp, "validation"));
    }
}

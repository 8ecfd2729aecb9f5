package org.crate4j.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
    @TempDir
    Path tmp;

    static String hex(String algorithm, byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    }

    private List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void fetchVerifiesMd5AndSha256() throws Exception {
        byte[] data = "crate4j test payload".getBytes(StandardCharsets.UTF_8);
        Path src = Files.write(tmp.resolve("src.bin"), data);
        Path out = tmp.resolve("out/a.bin");
        Downloader.fetch(src.toUri(), out, hex("MD5", data));
        assertArrayEquals(data, Files.readAllBytes(out));
        Path out2 = tmp.resolve("out/b.bin");
        Downloader.fetch(src.toUri(), out2, hex("SHA-256", data).toUpperCase());
        assertArrayEquals(data, Files.readAllBytes(out2));
    }

    @Test
    void badDigestLeavesNothingBehind() throws Exception {
        Path src = Files.write(tmp.resolve("src.bin"), new byte[] {1, 2, 3});
        Path dir = Files.createDirectories(tmp.resolve("dl"));
        String wrong = "0123456789abcdef0123456789abcdef";
        CrateException e = assertThrows(CrateException.class,
                () -> Downloader.fetch(src.toUri(), dir.resolve("x.bin"), wrong));
        assertTrue(e.getMessage().contains(wrong), e.getMessage());
        assertTrue(e.getMessage().contains(hex("MD5", new byte[] {1, 2, 3})), e.getMessage());
        assertEquals(List.of(), filesIn(dir));
    }

    @Test
    void missingSourceIsACrateException() {
        assertThrows(CrateException.class, () -> Downloader.fetch(tmp.resolve("absent").toUri(),
                tmp.resolve("t"), "0123456789abcdef0123456789abcdef"));
        assertFalse(Files.exists(tmp.resolve("t")));
    }

    @Test
    void fetchGzipChecksDecompressedContent() throws Exception {
        byte[] payload = "idx bytes".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(payload);
        }
        Path src = Files.write(tmp.resolve("p.gz"), bos.toByteArray());
        Downloader.fetchGzip(src.toUri(), tmp.resolve("got/p.gz"), hex("SHA-256", payload));
        assertArrayEquals(bos.toByteArray(), Files.readAllBytes(tmp.resolve("got/p.gz")));
        assertThrows(CrateException.class, () -> Downloader.fetchGzip(src.toUri(), tmp.resolve("got/q.gz"),
                hex("SHA-256", new byte[0])));
        assertFalse(Files.exists(tmp.resolve("got/q.gz")));
    }

    @Test
    void tarGzExtractsFilesAndRejectsEscapes() throws Exception {
        Path archive = tmp.resolve("a.tar.gz");
        writeTarGz(archive, new String[] {"cifar-10-batches-bin/", "cifar-10-batches-bin/test_batch.bin"},
                new byte[][] {null, "hello".getBytes(StandardCharsets.UTF_8)});
        assertEquals(1, TarGz.extract(archive, tmp.resolve("x")));
        assertEquals("hello", Files.readString(tmp.resolve("x/cifar-10-batches-bin/test_batch.bin")));
        writeTarGz(archive, new String[] {"../evil.txt"}, new byte[][] {new byte[1]});
        assertThrows(CrateException.class, () -> TarGz.extract(archive, tmp.resolve("y")));
        assertFalse(Files.exists(tmp.resolve("evil.txt")));
    }

    /** Hand-written ustar archive: null content marks a directory entry. */
    static void writeTarGz(Path file, String[] names, byte[][] contents) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            for (int i = 0; i < names.length; i++) {
                byte[] h = new byte[512];
                byte[] name = names[i].getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(name, 0, h, 0, name.length);
                int size = contents[i] == null ? 0 : contents[i].length;
                byte[] sizeField = String.format("%011o", size).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(sizeField, 0, h, 124, 11);
                h[156] = (byte) (contents[i] == null ? '5' : '0');
                System.arraycopy("ustar".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 5);
                out.write(h);
                if (size > 0) {
                    out.write(contents[i]);
                    out.write(new byte[(512 - size % 512) % 512]);
                }
            }
            out.write(new byte[1024]);
        }
    }

    @Test
    void dataHomeReportsWhatToRunWhenNothingIsAllowed() {
        CrateException e = assertThrows(CrateException.class, () -> DataHome.obtainFashionMnist(
                List.of(tmp.resolve("a")), tmp.resolve("dl"), DataHome.FASHION_MNIST_URL, false, false));
        assertTrue(e.getMessage().contains("apt-get install -y dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains(DataHome.FASHION_MNIST_URL.toString()), e.getMessage());
        assertTrue(DataHome.firstComplete(List.of(tmp)).isEmpty());
        assertThrows(CrateException.class, () -> DataHome.findFashionMnist(tmp));
    }

    @Test
    void explicitDirectoryWins() throws IOException {
        MnistIdxTest.writeTiny(tmp, true);
        assertEquals(tmp, DataHome.findFashionMnist(tmp).orElseThrow());
        assertEquals(tmp, DataHome.ensureFashionMnist(tmp, false, false));
    }

    @Test
    void downloadsFashionMnistFromAFileMirror() throws IOException {
        Path debian = DataHome.DEBIAN_FASHION_MNIST;
        Assumptions.assumeTrue(MnistIdx.isComplete(debian) && Files.exists(debian.resolve("t10k-labels-idx1-ubyte.gz")));
        Path target = tmp.resolve("fashion-mnist");
        // pretend the big training images are already there so the test copies only the small files
        Files.createDirectories(target);
        Files.copy(debian.resolve("train-images-idx3-ubyte.gz"), target.resolve("train-images-idx3-ubyte.gz"));
        DataHome.downloadFashionMnist(debian.toUri(), target);
        assertTrue(MnistIdx.isComplete(target));
        assertEquals(10000, MnistIdx.load(target, false).size());
    }
}

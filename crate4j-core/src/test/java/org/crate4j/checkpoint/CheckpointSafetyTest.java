package org.crate4j.checkpoint;

import static org.crate4j.checkpoint.ExpectedValues.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.crate4j.CrateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hostile, damaged and foreign files fail with one clear line, and nothing in them ever runs. */
class CheckpointSafetyTest {
    private static final Path PWNED_MARKER = Path.of("/tmp/crate4j_pwned_marker");

    @TempDir
    Path dir;

    @Test
    void maliciousPickleIsReadAsInertDataAndNothingRuns() throws IOException {
        Files.deleteIfExists(PWNED_MARKER);
        Map<?, ?> top = (Map<?, ?>) TorchCheckpoint.read(fixture("malicious.pth"));
        PickledObject payload = assertInstanceOf(PickledObject.class, top.get("payload"));
        assertEquals("os.system", payload.className());
        assertEquals(List.of("touch " + PWNED_MARKER), payload.args());
        assertEquals("builtins.eval", ((PickledObject) top.get("second")).className());
        assertEquals(7L, top.get("weight_like"));
        assertFalse(Files.exists(PWNED_MARKER), "reading must not execute the pickled os.system call");
    }

    @Test
    void strictPolicyRefusesGlobalsOutsideTheWhitelist() {
        CrateException e = assertThrows(CrateException.class,
                () -> TorchCheckpoint.read(fixture("malicious.pth"), Policy.STRICT));
        assertEquals("checkpoint malicious.pth: pickle names global 'os.system', which crate4j will not load; "
                + "only tensors, containers and plain values are read", e.getMessage());
    }

    @Test
    void strictPolicyAcceptsRealCheckpoints() {
        for (String name : List.of("classifier.pth.tar", "views.pth", "dtypes.pth", "training_state.pth", "legacy.pth")) {
            assertTrue(TorchCheckpoint.read(fixture(name), Policy.STRICT) instanceof Map, name);
        }
    }

    @Test
    void stateDictIsMissingFromMaliciousFile() {
        assertMessage("holds no state dict: top-level keys are [payload, second, weight_like]",
                () -> TorchCheckpoint.readStateDict(fixture("malicious.pth")));
    }

    @Test
    void truncatedZipFailsClearly() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("classifier.pth.tar"));
        Path cut = dir.resolve("cut.pth");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        assertMessage("checkpoint cut.pth is not a complete zip archive", () -> TorchCheckpoint.read(cut));
    }

    @Test
    void truncatedLegacyFileFailsClearly() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("legacy.pth"));
        Path cut = dir.resolve("cut_legacy.pth");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 20));
        assertMessage("the file is truncated", () -> TorchCheckpoint.read(cut));
    }

    @Test
    void foreignAndEmptyFilesAreNotCheckpoints() throws IOException {
        Path html = dir.resolve("page.pth");
        Files.writeString(html, "<!DOCTYPE html><html>404</html>");
        assertMessage("checkpoint page.pth is neither a zip archive nor a legacy torch pickle (starts with bytes 3c 21 44 4f)",
                () -> TorchCheckpoint.read(html));
        Path empty = Files.createFile(dir.resolve("empty.pth"));
        assertMessage("neither a zip archive", () -> TorchCheckpoint.read(empty));
        assertMessage("does not exist", () -> TorchCheckpoint.read(dir.resolve("absent.pth")));
    }

    @Test
    void zipWithoutDataPklIsRejected() throws IOException {
        Path zip = zip("no_pickle.pth", "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        assertMessage("zip archive has no data.pkl (entries start [archive/version])", () -> TorchCheckpoint.read(zip));
    }

    @Test
    void storageLargerThanItsEntryIsRejectedBeforeAllocating() {
        assertMessage("storage '0' declares 1000000000000 elements of F32 (4000000000000 bytes) but archive/data/0 holds 16 bytes",
                () -> TorchCheckpoint.read(fixture("oversized_storage.pth")));
    }

    @Test
    void viewReachingPastItsStorageIsRejected() {
        assertMessage("reaches element 8 but the storage declares only 4 elements",
                () -> TorchCheckpoint.read(fixture("view_out_of_bounds.pth")));
    }

    @Test
    void missingStorageEntryIsRejected() {
        assertMessage("storage '7' has no entry archive/data/7", () -> TorchCheckpoint.read(fixture("missing_storage.pth")));
    }

    @Test
    void tensorOverTwoGibibytesIsRefused() {
        assertMessage("over crate4j's 2 GiB limit", () -> TorchCheckpoint.read(fixture("huge_view.pth")));
    }

    @Test
    void unsupportedOpcodeIsNamed() throws IOException {
        Path zip = zip("ext.pth", "archive/data.pkl", bytes(0x80, 2, 0x82, 1, '.')); // EXT1: the copyreg extension registry
        assertMessage("pickle opcode 0x82 at byte 2 is not supported", () -> TorchCheckpoint.read(zip));
    }

    @Test
    void truncatedAndMalformedPicklesAreRejected() throws IOException {
        Path shortString = zip("short.pth", "archive/data.pkl", bytes(0x80, 2, 'X', 0xff, 0, 0, 0, 'a', 'b'));
        assertMessage("pickle ends early (needs 255 more bytes", () -> TorchCheckpoint.read(shortString));
        Path underflow = zip("underflow.pth", "archive/data.pkl", bytes(0x80, 2, 's', '.'));
        assertMessage("pickle is malformed: at byte 2 it pops from an empty stack", () -> TorchCheckpoint.read(underflow));
        Path badMemo = zip("memo.pth", "archive/data.pkl", bytes(0x80, 2, 'h', 9, '.'));
        assertMessage("refers to memo entry 9 that was never stored", () -> TorchCheckpoint.read(badMemo));
    }

    @Test
    void deeplyNestedPickleDoesNotOverflowTheJavaStack() throws IOException {
        int depth = 200_000;
        byte[] pickle = new byte[2 + depth + (depth - 1) + 1];
        pickle[0] = (byte) 0x80;
        pickle[1] = 2;
        Arrays.fill(pickle, 2, 2 + depth, (byte) ']'); // EMPTY_LIST × depth
        Arrays.fill(pickle, 2 + depth, pickle.length - 1, (byte) 'a'); // APPEND each into the one below
        pickle[pickle.length - 1] = '.';
        Object outer = TorchCheckpoint.read(zip("deep.pth", "archive/data.pkl", pickle));
        int levels = 0;
        for (Object v = outer; v instanceof List<?> l && !l.isEmpty(); v = l.get(0)) {
            levels++;
        }
        assertEquals(depth - 1, levels);
    }

    private Path zip(String name, String entry, byte[] content) throws IOException {
        Path file = dir.resolve(name);
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(entry));
            zip.write(content);
            zip.closeEntry();
        }
        return file;
    }

    private static byte[] bytes(int... values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }

    static void assertMessage(String fragment, org.junit.jupiter.api.function.Executable read) {
        CrateException e = assertThrows(CrateException.class, read);
        assertTrue(e.getMessage().contains(fragment), "message was: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}

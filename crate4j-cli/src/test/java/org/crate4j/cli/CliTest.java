package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.crate4j.model.ClassifierParityTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands end to end, including the one-line errors and exit code 2 on bad input. */
class CliTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int code = Main.run(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void launchRefusesWhatItCannotRunInParallel() throws Exception {
        Run r = run("launch", "--nproc", "2", "--", "info");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("crate: crate launch runs train, mae-pretrain or bench in parallel, not 'info'"), r.err());
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Run busy = run("launch", "--nproc", "2", "--master-port", String.valueOf(taken.getLocalPort()), "--", "train");
            assertEquals(2, busy.code());
            assertEquals("crate: port " + taken.getLocalPort() + " on 127.0.0.1 is in use (Address already in use): pick another --master-port",
                    busy.err().trim());
        }
    }

    @Test
    void infoPrintsTheReferenceParameterCounts() {
        assertTrue(run("info", "--model", "crate-tiny").out().contains("6,090,856"));
        assertTrue(run("info", "--model", "crate-small").out().contains("13,116,328"));
        assertTrue(run("info", "--model", "crate-base").out().contains("22,796,008"));
        assertTrue(run("info", "--model", "crate-large").out().contains("77,641,192"));
        String fmnist = run("info", "--model", "crate-fmnist").out();
        assertTrue(fmnist.contains("367,228") && fmnist.contains("11x11 overlapping windows") && fmnist.contains("coded against 256 atoms"), fmnist);
    }

    @Test
    void convertsReferenceCheckpointAndPredictsFromEither() throws Exception {
        Path pth = ClassifierParityTest.fixture("crate_main_module.pth");
        Path st = tmp.resolve("m.safetensors");
        Run c = run("convert", pth.toString(), st.toString(), "--heads", "4");
        assertEquals(0, c.code(), c.err());
        assertTrue(Files.size(st) > 0);
        Path img = tmp.resolve("x.png");
        BufferedImage bi = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                bi.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | 77);
            }
        }
        ImageIO.write(bi, "png", img.toFile());
        Run a = run("predict", "--weights", pth.toString(), "--heads", "4", "--json", "--top", "3", img.toString());
        Run b = run("predict", "--weights", st.toString(), "--json", "--top", "3", img.toString());
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertTrue(a.out().contains("\"probability\""), a.out());
        assertEquals(a.out(), b.out(), "the converted weights predict exactly what the original does");
    }

    @Test
    void badInputGivesOneLineAndExitCodeTwoWithoutPartialOutput() throws Exception {
        Path out = tmp.resolve("out.safetensors");
        Path truncated = tmp.resolve("t.pth");
        byte[] full = Files.readAllBytes(ClassifierParityTest.fixture("crate_main_module.pth"));
        Files.write(truncated, java.util.Arrays.copyOf(full, full.length / 2));
        Path notZip = tmp.resolve("n.pth");
        Files.writeString(notZip, "<html>not a checkpoint</html>");
        Path malicious = Path.of(CliTest.class.getResource("/checkpoint/malicious.pth").toURI());
        for (String[] args : new String[][] {
                {"convert", truncated.toString(), out.toString(), "--heads", "4"},
                {"convert", notZip.toString(), out.toString()},
                {"convert", malicious.toString(), out.toString()},
                {"convert", ClassifierParityTest.fixture("crate_main_module.pth").toString(), out.toString(), "--heads", "5"},
                {"convert", ClassifierParityTest.fixture("crate_main_module.pth").toString(), out.toString(), "--model", "crate-small"},
                {"convert", tmp.resolve("missing.pth").toString(), out.toString()}}) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
            assertFalse(Files.exists(out), "no partial output for " + String.join(" ", args));
        }
        Path badImage = tmp.resolve("bad.png");
        Files.writeString(badImage, "not an image");
        Run r = run("predict", "--weights", ClassifierParityTest.fixture("crate_main_module.pth").toString(), "--heads", "4", badImage.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("bad.png"), r.err());
    }

    @Test
    void verboseShowsTheStackTrace() {
        Run r = run("convert", tmp.resolve("missing.pth").toString(), tmp.resolve("o.safetensors").toString(), "--verbose");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    static Path tinyImageFolder(Path root) throws Exception {
        java.util.Random r = new java.util.Random(4);
        for (String split : new String[] {"train", "val"}) {
            for (String cls : new String[] {"dark", "light"}) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(cls));
                for (int i = 0; i < 6; i++) {
                    BufferedImage bi = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < 20; y++) {
                        for (int x = 0; x < 20; x++) {
                            int v = (cls.equals("dark") ? 40 : 200) + r.nextInt(40);
                            bi.setRGB(x, y, v << 16 | v << 8 | v);
                        }
                    }
                    ImageIO.write(bi, "png", dir.resolve(cls + i + ".jpg.png").toFile());
                }
            }
        }
        return root;
    }

    @Test
    void finetunesAReferenceCheckpointOnAnImageFolderThenEvaluates() throws Exception {
        Path data = tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("ft");
        Run ft = run("finetune", "--weights", ClassifierParityTest.fixture("crate_main_module.pth").toString(), "--heads", "4",
                "--data", data.toString(), "--epochs", "2", "--batch", "4", "--workers", "1", "--out", out.toString());
        assertEquals(0, ft.code(), ft.err());
        assertTrue(ft.out().contains("2 classes, new head"), ft.out());
        assertTrue(Files.exists(out.resolve("last.safetensors")) && Files.exists(out.resolve("curves.png")));
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        Run ev = run("eval", "--weights", out.resolve("last.safetensors").toString(), "--data", data.toString(), "--out", tmp.resolve("ev").toString());
        assertEquals(0, ev.code(), ev.err());
        assertTrue(ev.out().contains("top-1"), ev.out());
        assertTrue(ImageIO.read(tmp.resolve("ev").resolve("confusion.png").toFile()).getWidth() > 100);
        Run tta = run("eval", "--weights", out.resolve("last.safetensors").toString(), "--data", data.toString(), "--tta", "flip",
                "--out", tmp.resolve("ev2").toString());
        assertEquals(0, tta.code(), tta.err());
        assertTrue(tta.out().contains("with mirrored copies") && Files.readString(tmp.resolve("ev2").resolve("eval.json")).contains("\"tta\":\"flip\""),
                tta.out());
        Run badTta = run("eval", "--weights", out.resolve("last.safetensors").toString(), "--data", data.toString(), "--tta", "five-crop");
        assertEquals(2, badTta.code());
        assertTrue(badTta.err().contains("unknown --tta 'five-crop': use none or flip"), badTta.err());
        Run resumed = run("finetune", "--weights", ClassifierParityTest.fixture("crate_main_module.pth").toString(), "--heads", "4",
                "--data", data.toString(), "--epochs", "3", "--batch", "4", "--out", out.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(3, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    }

    @Test
    void trainingRejectsMissingDataAndMismatchedResume() throws Exception {
        Run missing = run("train", "--data", tmp.resolve("nope").toString(), "--out", tmp.resolve("o").toString());
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("nope"), missing.err());
        Path data = tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("run");
        assertEquals(0, run("train", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20", "--patch", "4",
                "--epochs", "1", "--batch", "4", "--out", out.toString()).code());
        Run other = run("train", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20", "--patch", "4", "--dim", "64",
                "--epochs", "2", "--batch", "4", "--out", out.toString(), "--resume");
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("different architecture"), other.err());
    }

    @Test
    void accumulationStepsBelowOneAreRefusedBeforeAnythingIsWritten() throws Exception {
        Path data = tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("run");
        String weights = ClassifierParityTest.fixture("crate_main_module.pth").toString();
        for (String[] args : new String[][] {
                {"train", "--data", data.toString(), "--accum-steps", "0", "--out", out.toString()},
                {"train", "--accum-steps", "0", "--out", out.toString()}, // the default job would split into processes first
                {"finetune", "--weights", weights, "--heads", "4", "--data", data.toString(), "--accum-steps", "-2", "--out", out.toString()},
                {"mae-pretrain", "--data", data.toString(), "--accum-steps", "0", "--out", out.toString()}}) {
            Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            String k = args[java.util.Arrays.asList(args).indexOf("--accum-steps") + 1];
            assertEquals("crate: --accum-steps " + k + " is out of range: use a whole number in [1, 65536]", r.err().strip());
            assertFalse(Files.exists(out), "nothing written for " + String.join(" ", args));
        }
    }

    @Test
    void trainAccumulatesMicroBatchesIntoOneOptimizerStep() throws Exception {
        Path data = tinyImageFolder(tmp.resolve("data")); // 12 training images
        Path out = tmp.resolve("accumulated");
        Run r = run("train", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20", "--patch", "4",
                "--epochs", "2", "--batch", "2", "--accum-steps", "3", "--workers", "0", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("global batch 6 (2 per process x 3 accumulated micro-batches)"), r.out());
        assertTrue(r.out().contains("epoch 1.00: train loss") && r.out().contains("epoch 2.00: train loss"), "the epoch lines: " + r.out());
        assertTrue(r.out().contains("done: top-1") && r.out().contains("after 4 steps (2.0 epochs)"), "12 / 6 = 2 steps per epoch: " + r.out());
        assertEquals(6, org.crate4j.train.TrainCheckpoint.readState(out.resolve("last.safetensors")).globalBatch());
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    }

    @Test
    void trainSplitsItselfOverLocalProcessesAndReadsLikeOne() throws Exception {
        Run bad = run("train", "--nproc", "two");
        assertEquals(2, bad.code());
        assertEquals("crate: --nproc must be auto or a positive number, got 'two'", bad.err().trim());
        Path data = tinyImageFolder(tmp.resolve("data"));
        Path out = tmp.resolve("par");
        Run r = run("train", "--nproc", "2", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20", "--patch", "4",
                "--epochs", "1", "--batch", "3", "--workers", "0", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("train: 2 processes x 1 thread on this machine"), r.out());
        assertTrue(r.out().contains("2 processes; global batch 6 (3 per process)"), r.out());
        assertFalse(r.out().contains("[rank"), r.out()); // rank 0 speaks as if alone; rank 1 only on errors
        assertFalse(r.err().contains("[Gloo]"), r.err());
        assertTrue(Files.exists(out.resolve("last.safetensors")) && Files.exists(out.resolve("metrics.jsonl")));
        // run.json records the command as typed, not the workers' argv with --out and --threads appended
        com.google.gson.JsonArray command = com.google.gson.JsonParser.parseString(Files.readString(out.resolve("run.json")))
                .getAsJsonObject().getAsJsonArray("command");
        assertEquals(List.of("train", "--nproc", "2", "--data", data.toString(), "--model", "crate-fmnist", "--image-size", "20",
                "--patch", "4", "--epochs", "1", "--batch", "3", "--workers", "0", "--out", out.toString()),
                command.asList().stream().map(com.google.gson.JsonElement::getAsString).toList());
    }
}

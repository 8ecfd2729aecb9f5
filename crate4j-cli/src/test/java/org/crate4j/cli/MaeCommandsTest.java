package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaeConfig;
import org.crate4j.mae.MaeWeights;
import org.crate4j.model.Attention;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.train.TrainCheckpoint;
import org.crate4j.viz.TileGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRATE-MAE commands end to end: info, reconstruct, linear-probe, and the wrong kind of checkpoint. */
class MaeCommandsTest {
    @TempDir
    Path tmp;

    /** A small untrained CRATE-MAE for 8×8 grey images, saved as mae-pretrain would. */
    private Path tinyMae() {
        return tinyMae(tmp.resolve("mae.safetensors"), 8, 1);
    }

    /** A small untrained CRATE-MAE (patch 4, dim 16, depth 1, 2 heads) for {@code size}² images of {@code channels}, saved as mae-pretrain would. */
    static Path tinyMae(Path file, int size, int channels) {
        Torch.seed(3);
        CrateMae m = CrateMae.create(MaeConfig.of(size, 4, channels, 16, 1, 2));
        String mean = channels == 1 ? "[0.5]" : "[0.5,0.5,0.5]", std = mean;
        MaeWeights.save(m, file, Map.of("mean", mean, "std", std));
        return file;
    }

    /** An idx dataset of noisy 8×8 images, bright on the left (class 0) or at the top (class 1): linearly separable. */
    private Path toyIdx() throws IOException {
        Path dir = tmp.resolve("bars");
        Files.createDirectories(dir);
        writeSplit(dir, "train", 200, 1);
        writeSplit(dir, "t10k", 100, 2);
        return dir;
    }

    private static void writeSplit(Path dir, String prefix, int n, long seed) throws IOException {
        Random r = new Random(seed);
        ByteBuffer img = ByteBuffer.allocate(16 + n * 64).putInt(0x803).putInt(n).putInt(8).putInt(8);
        ByteBuffer lab = ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            int label = i % 2;
            for (int j = 0; j < 64; j++) {
                boolean on = label == 0 ? j % 8 < 4 : j / 8 < 4;
                img.put((byte) Math.max(0, Math.min(255, (on ? 200 : 40) + r.nextInt(120) - 60)));
            }
            lab.put((byte) label);
        }
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte"), img.array());
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte"), lab.array());
    }

    @Test
    void infoCountsCrateMaeBaseAsTheReferenceDoes() {
        CliTest.Run r = CliTest.run("info", "--model", "crate-mae-base");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("44,335,872"), r.out());
    }

    @Test
    void reconstructWritesOneRowPerImage() throws Exception {
        Path weights = tinyMae();
        Path a = tmp.resolve("a.png"), b = tmp.resolve("b.png");
        ImageIO.write(new BufferedImage(20, 12, BufferedImage.TYPE_INT_RGB), "png", a.toFile());
        ImageIO.write(new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY), "png", b.toFile());
        CliTest.Run r = CliTest.run("reconstruct", "--weights", weights.toString(), "--out", tmp.resolve("rec").toString(),
                "--mask-ratio", "0.5", a.toString(), b.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 of 4 patches removed"), r.out());
        BufferedImage png = ImageIO.read(tmp.resolve("rec/reconstructions.png").toFile());
        Dimension expected = TileGrid.size(8, 8, 2 * 4, 4, false);
        assertEquals(expected.width, png.getWidth());
        assertEquals(expected.height, png.getHeight());
    }

    @Test
    void linearProbeOnRawPixelsSeparatesTheToyClassesAndEncoderProbesRun() throws Exception {
        Path data = toyIdx(), weights = tinyMae();
        CliTest.Run raw = CliTest.run("linear-probe", "--raw-pixels", "--data", data.toString(), "--epochs", "20");
        assertEquals(0, raw.code(), raw.err());
        List<String> lines = raw.out().strip().lines().toList();
        assertEquals(2, lines.size(), raw.out());
        JsonObject j = JsonParser.parseString(lines.get(1)).getAsJsonObject();
        assertTrue(j.get("top1").getAsDouble() > 0.9, raw.out());
        assertEquals(64, j.get("dim").getAsInt());
        for (String mode : new String[] {"--random-init", "--features=cls"}) {
            CliTest.Run r = CliTest.run("linear-probe", "--weights", weights.toString(), mode, "--data", data.toString(), "--epochs", "2");
            assertEquals(0, r.code(), r.err());
            JsonObject o = JsonParser.parseString(r.out().strip().lines().toList().get(1)).getAsJsonObject();
            assertEquals(16, o.get("dim").getAsInt(), r.out());
            assertEquals(100, o.get("test_images").getAsInt(), r.out());
        }
    }

    @Test
    void theWrongKindOfCheckpointGetsOneLineAndExitCodeTwo() throws Exception {
        Path classifier = ClassifierParityTest.fixture("crate_main_module.pth");
        Path mae = tinyMae();
        Path run = tmp.resolve("run");
        Files.createDirectories(run);
        CliTest.run("convert", classifier.toString(), run.resolve("last.safetensors").toString(), "--heads", "4");
        Path data = toyIdx();
        for (String[] args : new String[][] {
                {"reconstruct", "--weights", classifier.toString(), "--out", tmp.resolve("r").toString()},
                {"linear-probe", "--weights", classifier.toString(), "--data", data.toString()},
                {"predict", "--weights", mae.toString(), mae.toString()},
                {"mae-pretrain", "--data", data.toString(), "--out", run.toString(), "--resume", "--epochs", "1", "--batch", "8"}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.err());
            List<String> errLines = r.err().strip().lines().filter(l -> l.startsWith("crate:")).toList();
            assertEquals(1, errLines.size(), r.err());
            assertTrue(errLines.get(0).contains("CRATE"), errLines.get(0));
            assertFalse(r.err().contains("\tat "), r.err());
        }
        assertFalse(Files.exists(tmp.resolve("r/reconstructions.png")));
    }

    @Test
    void maePretrainWithTssaResumesAndItsFileReloadsAsTssaInEveryMaeCommand() throws Exception {
        Path data = toyIdx(), out = tmp.resolve("tssa");
        String[] run = {"mae-pretrain", "--attention", "tssa", "--data", data.toString(), "--image-size", "8", "--patch", "4", "--dim", "16",
                "--depth", "2", "--decoder-depth", "1", "--heads", "4", "--batch", "20", "--workers", "0", "--out", out.toString()};
        CliTest.Run first = CliTest.run(concat(run, "--epochs", "1"));
        assertEquals(0, first.code(), first.out() + first.err());
        assertTrue(first.out().contains("heads 4, TSSA"), first.out());
        Path last = out.resolve("last.safetensors");
        MaeConfig c = MaeWeights.load(last, MaeWeights.Options.defaults()).config();
        assertEquals(Attention.TSSA, c.attention());
        assertEquals(MaeConfig.of(8, 4, 1, 16, 2, 4).withShape(4, 16, 2, 4, 1).withAttention(Attention.TSSA).parameterCount(),
                c.parameterCount());

        CliTest.Run mssa = CliTest.run(concat(run, "--attention", "mssa", "--epochs", "2", "--resume"));
        assertEquals(2, mssa.code(), "resuming a TSSA run as MSSA: " + mssa.out() + mssa.err());
        assertTrue(mssa.err().contains("different architecture"), mssa.err());
        CliTest.Run resumed = CliTest.run(concat(run, "--epochs", "2", "--resume"));
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertEquals(20, TrainCheckpoint.readState(last).globalStep(), "200 images / 20, two epochs");
        CrateMae trained = MaeWeights.load(last, MaeWeights.Options.defaults());
        assertEquals(Attention.TSSA, trained.config().attention());
        float[] temp = Torch.toFloats(trained.parameters().get("blocks.0.layers.0.0.fn.temp"));
        assertTrue(temp[0] != 1f || temp[1] != 1f, "the temperatures trained away from 1");

        CliTest.Run info = CliTest.run("info", "--weights", last.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("TSSA in encoder and decoder"), info.out());
        assertTrue(info.out().contains(String.format("%,d", c.parameterCount())), "the count includes temp: " + info.out());
        assertTrue(info.out().contains("exactly the"), info.out());
        CliTest.Run rec = CliTest.run("reconstruct", "--weights", last.toString(), "--out", tmp.resolve("rec").toString());
        assertEquals(0, rec.code(), rec.out() + rec.err());
        CliTest.Run probe = CliTest.run("linear-probe", "--weights", last.toString(), "--features=cls", "--data", data.toString(),
                "--epochs", "1");
        assertEquals(0, probe.code(), probe.out() + probe.err());
        assertEquals(0, CliTest.run("layerwise", "--weights", last.toString(), "--data", data.toString(), "--images", "4",
                "--batch", "2", "--out", tmp.resolve("lw").toString()).code());
    }

    @Test
    void attentionOptionRefusesBadValuesInOneLine() {
        for (String[] args : new String[][] {
                {"mae-pretrain", "--attention", "softmax", "--out", tmp.resolve("bad").toString()},
                {"info", "--model", "crate-mae-base", "--attention", "linear"},
                {"info", "--model", "vit-tiny", "--attention", "tssa"}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + " -> " + r.out() + r.err());
            List<String> errLines = r.err().strip().lines().filter(l -> l.startsWith("crate:")).toList();
            assertEquals(1, errLines.size(), r.err());
            assertTrue(errLines.get(0).contains("attention"), errLines.get(0));
        }
        assertFalse(Files.exists(tmp.resolve("bad")), "nothing written");
        CliTest.Run info = CliTest.run("info", "--model", "crate-mae-base", "--attention", "tssa");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("44,336,160"), "44,335,872 + 2 x 12 layers x 12 heads of temp: " + info.out());
        assertTrue(info.out().contains("encoder TSSA (all layers)"), info.out());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void maePretrainRunsDataParallelUnderLaunch() throws Exception {
        Path data = toyIdx(); // 200 training images, 8×8 grey
        Path out = tmp.resolve("parallel");
        CliTest.Run r = CliTest.run("launch", "--nproc", "2", "--threads", "1", "--", "mae-pretrain", "--data", data.toString(),
                "--image-size", "8", "--patch", "4", "--dim", "16", "--depth", "1", "--decoder-depth", "1", "--heads", "2",
                "--epochs", "1", "--batch", "10", "--workers", "0", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("batch 20 (2 processes x 10)"), "the global batch: " + r.out());
        org.crate4j.train.TrainCheckpoint.State s = org.crate4j.train.TrainCheckpoint.readState(out.resolve("last.safetensors"));
        assertEquals(2, s.worldSize());
        assertEquals(20, s.globalBatch());
        assertEquals(10, s.globalStep(), "200 images / 20 per step, one epoch");
        for (String f : new String[] {"metrics.csv", "reconstructions.png", "run.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(r.out().contains("gradient syncs"), "rank 0 reports the communication: " + r.out());
    }
}

package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.Image;
import org.crate4j.data.ImageFiles;
import org.crate4j.data.ImageFolder;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationTest {
    @TempDir
    Path tmp;

    @Test
    void flipAveragesTheProbabilitiesOfEachImageAndItsMirror() {
        Torch.seed(11);
        Crate model = Crate.create(CrateConfig.of(8, 4, 1, 2, 16, 1, 2));
        InMemoryDataset data = ResumeTest.toyData(20, 7);
        var tf = Transforms.normalize(new float[] {0.5f}, new float[] {0.25f});
        Evaluation.Result plain, flipped;
        try (DataLoader a = new DataLoader(data, tf, 6, false, false, 0, 1, 2);
                DataLoader b = new DataLoader(data, tf, 6, false, false, 0, 1, 2)) {
            plain = Evaluation.run(model, a, Precision.FP32, GradientSync.none());
            flipped = Evaluation.run(model, b, Precision.FP32, GradientSync.none(), true);
        }
        double correct = 0, nll = 0;
        try (DataLoader c = new DataLoader(data, tf, 6, false, false, 0, 1, 2);
                PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            for (Batch batch : c) {
                Tensor x = Torch.fromFloats(batch.images(), batch.size(), 1, 8, 8);
                Tensor p = torch.softmax(model.forward(x), 1).add(torch.softmax(model.forward(x.flip(3)), 1)).div(new org.bytedeco.pytorch.Scalar(2));
                float[] v = Torch.toFloats(p);
                for (int i = 0; i < batch.size(); i++) {
                    int y = batch.labels()[i];
                    correct += v[2 * i + y] > v[2 * i + 1 - y] ? 1 : 0;
                    nll -= Math.log(v[2 * i + y]);
                }
            }
        }
        assertEquals(20, flipped.images());
        assertEquals(correct / 20, flipped.top1(), 1e-12);
        assertEquals(nll / 20, flipped.loss(), 1e-5);
        assertTrue(Math.abs(plain.loss() - flipped.loss()) > 1e-4, "the mirrored view changes the loss: " + plain.loss());
    }

    static final Transform RGB8 = Transforms.compose(Transforms.resize(8, 8),
            Transforms.normalize(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}));

    /** {@code n} 8×8 noise images per class (dark, light), written as PNG, and the names of the bad files added when {@code corrupt}. */
    static void writeSplit(Path root, int[] n, boolean corrupt) throws IOException {
        Random r = new Random(5);
        String[] classes = {"dark", "light"};
        for (int c = 0; c < 2; c++) {
            Path dir = Files.createDirectories(root.resolve(classes[c]));
            for (int i = 0; i < n[c]; i++) {
                byte[] px = new byte[8 * 8 * 3];
                for (int j = 0; j < px.length; j++) {
                    px[j] = (byte) ((c == 0 ? 30 : 120) + r.nextInt(110));
                }
                ImageFiles.writePng(new Image(8, 8, 3, px), dir.resolve(classes[c] + i + ".png"));
            }
        }
        if (corrupt) {
            byte[] garbage = new byte[200];
            r.nextBytes(garbage);
            Files.write(root.resolve("dark/dark9_garbage.png"), garbage);
            ImageFiles.write(new Image(8, 8, 3, new byte[8 * 8 * 3]), root.resolve("light/light9_cut.jpg"), "jpg");
            byte[] jpeg = Files.readAllBytes(root.resolve("light/light9_cut.jpg"));
            Files.write(root.resolve("light/light9_cut.jpg"), Arrays.copyOf(jpeg, jpeg.length - 3)); // the end of the scan and its end marker
        }
    }

    static Evaluation.Result evaluate(Crate model, Path folder) {
        try (DataLoader loader = new DataLoader(ImageFolder.scan(folder), RGB8, 4, false, false, 0, 1, 2)) {
            return Evaluation.run(model, loader, Precision.FP32, GradientSync.none());
        }
    }

    @Test
    void evaluationScoresTheReadableImagesExactlyAsIfTheBadOnesWereNotThere() throws IOException {
        Torch.seed(3);
        Crate model = Crate.create(CrateConfig.of(8, 4, 3, 2, 16, 1, 2));
        writeSplit(tmp.resolve("clean"), new int[] {5, 4}, false);
        writeSplit(tmp.resolve("corrupt"), new int[] {5, 4}, true);
        Evaluation.Result clean = evaluate(model, tmp.resolve("clean")), corrupt = evaluate(model, tmp.resolve("corrupt"));
        assertEquals(9, corrupt.images(), "11 files, 9 readable");
        assertEquals(clean.top1(), corrupt.top1(), 0.0);
        assertEquals(clean.top5(), corrupt.top5(), 0.0);
        assertEquals(clean.loss(), corrupt.loss(), 1e-6);
        assertArrayEquals(clean.confusion()[0], corrupt.confusion()[0]);
        assertArrayEquals(clean.confusion()[1], corrupt.confusion()[1]);
        long[][] m = corrupt.confusion();
        assertEquals(5, m[0][0] + m[0][1], "the dark row counts its 5 readable images");
        assertEquals(4, m[1][0] + m[1][1], "the light row counts its 4 readable images");
        assertEquals((m[0][0] + m[1][1]) / 9.0, corrupt.top1(), 1e-12);
        assertTrue(corrupt.top1() > 0 && corrupt.top1() < 1, "an untrained model is neither always right nor always wrong: " + corrupt.top1());
        assertEquals(2, corrupt.unreadable().count());
        assertEquals(tmp.resolve("corrupt/dark/dark9_garbage.png") + ", " + tmp.resolve("corrupt/light/light9_cut.jpg"),
                corrupt.unreadable().names());
        assertFalse(clean.unreadable().any());
    }

    @Test
    void aClassWithNoReadableImageIsAnError() throws IOException {
        Torch.seed(3);
        Crate model = Crate.create(CrateConfig.of(8, 4, 3, 2, 16, 1, 2));
        Path val = tmp.resolve("val");
        writeSplit(val, new int[] {3, 0}, true); // light holds only its cut JPEG
        CrateException e = assertThrows(CrateException.class, () -> evaluate(model, val));
        assertEquals("no image of class 'light' can be read (1 bad file, e.g. image " + val.resolve("light/light9_cut.jpg")
                + " is truncated (a JPEG without its end-of-image marker)): an accuracy without the class would mislead; "
                + "fix or replace its files", e.getMessage());
    }

    @Test
    void evaluationRefusesALoaderThatSubstitutes() {
        Crate model = Crate.create(CrateConfig.of(8, 4, 1, 2, 16, 1, 2));
        try (DataLoader loader = new DataLoader(ResumeTest.toyData(4, 1), null, 2, false, false, 0, 0, 1)
                .onBadFile(DataLoader.OnBadFile.SUBSTITUTE)) {
            assertThrows(IllegalArgumentException.class, () -> Evaluation.run(model, loader, Precision.FP32, GradientSync.none()));
        }
    }
}

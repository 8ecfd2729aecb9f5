package org.crate4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;
import org.crate4j.data.FloatImage;
import org.crate4j.data.ImageFiles;
import org.crate4j.data.Preprocessing;
import org.crate4j.engine.Torch;
import org.crate4j.model.ClassifierParityTest;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateWeights;
import org.crate4j.model.LayerTrace;
import org.junit.jupiter.api.Test;

/** The facade gives what the library's own calls give on the same weights and image. */
class CrateModelTest {
    static final Path WEIGHTS = ClassifierParityTest.fixture("crate_main_module.pth"); // 16×16 RGB, 5 classes, 4 heads, 2 layers

    static BufferedImage picture() {
        BufferedImage bi = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(3);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                bi.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return bi;
    }

    /** The image as `crate predict` prepares it, through the model directly. */
    static float[] probabilities(Crate model, BufferedImage image) {
        var c = model.config();
        FloatImage in = Preprocessing.defaultFor(3).evalTransform(c.imageHeight(), c.imageWidth(), 3)
                .apply(FloatImage.fromImage(ImageFiles.fromBufferedImage(image)), new Random(0));
        try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            return Torch.toFloats(torch.softmax(model.forward(Torch.fromFloats(in.data, 1, 3, 16, 16)), 1));
        }
    }

    @Test
    void predictReturnsTheModelsMostProbableClassesInOrder() {
        BufferedImage image = picture();
        float[] p = probabilities(CrateWeights.load(WEIGHTS, new CrateWeights.Options(null, 4, false, 0, null)).train(false), image);
        try (CrateModel m = CrateModel.builder().heads(4).load(WEIGHTS)) {
            assertEquals("classifier", m.kind());
            assertEquals(5, m.classes());
            assertEquals(2, m.layers());
            List<Classification> top = m.predict(image, 3);
            assertEquals(3, top.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(p[top.get(i).index()], top.get(i).probability(), 1e-6);
                assertEquals(Integer.toString(top.get(i).index()), top.get(i).label());
            }
            for (int j = 0; j < p.length; j++) { // the first is the arg-max, and the order is descending
                assertTrue(p[j] <= top.get(0).probability() + 1e-7);
            }
            assertTrue(top.get(0).probability() >= top.get(1).probability() && top.get(1).probability() >= top.get(2).probability());
            assertEquals(5, m.predict(image, 50).size()); // k is capped at the class count
        }
    }

    @Test
    void predictAllClassifiesEachFileAsPredictDoesInSplitBatches(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        List<Path> files = new java.util.ArrayList<>();
        int n = CrateModel.PREDICT_BATCH + 6;
        for (int i = 0; i < n; i++) {
            BufferedImage bi = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            Random r = new Random(10 + i);
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    bi.setRGB(x, y, r.nextInt(1 << 24));
                }
            }
            Path f = tmp.resolve("image" + i + ".png");
            javax.imageio.ImageIO.write(bi, "png", f.toFile());
            files.add(f);
        }
        int threadsBefore = Torch.threads();
        try (CrateModel m = CrateModel.builder().heads(4).threads(2).load(WEIGHTS)) {
            long before = org.crate4j.engine.ThreadShards.shardsRun();
            List<List<Classification>> all = m.predictAll(files, 3);
            assertEquals(before + 4, org.crate4j.engine.ThreadShards.shardsRun(), "two batches (64 and 6 images), two shards each");
            assertEquals(n, all.size());
            for (int i = 0; i < n; i++) {
                List<Classification> one = m.predict(files.get(i), 3);
                for (int j = 0; j < 3; j++) {
                    assertEquals(one.get(j).index(), all.get(i).get(j).index(), "image " + i);
                    assertEquals(one.get(j).probability(), all.get(i).get(j).probability(), 1e-5, "image " + i);
                }
            }
            assertEquals(List.of(), m.predictAll(List.of(), 3));
            assertThrows(CrateException.class, () -> m.predictAll(List.of(), 0));
            CrateException e = assertThrows(CrateException.class, () -> m.predictAll(List.of(files.get(0), tmp.resolve("missing.png")), 3));
            assertTrue(e.getMessage().contains("missing.png"), e.getMessage());
        } finally {
            Torch.setThreads(threadsBefore);
        }
    }

    @Test
    void attentionIsTheClassTokensRowOfEveryHeadInRowMajorPatchOrder() {
        BufferedImage image = picture();
        try (CrateModel m = CrateModel.builder().heads(4).load(WEIGHTS)) {
            AttentionMap a = m.attention(image, 1);
            assertEquals(1, a.layer());
            assertEquals(4, a.gridHeight());
            assertEquals(4, a.gridWidth());
            assertEquals(4, a.heads().length);
            // the same trace through the library: A[0, h, 0, 1 + p]
            Crate model = (Crate) m.classifier();
            FloatImage in = org.crate4j.analysis.ModelInput.stretch(3, 16, 16,
                    org.crate4j.analysis.ModelInput.normalization(3, java.util.Map.of()))
                    .apply(FloatImage.fromImage(ImageFiles.fromBufferedImage(image)), null);
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                LayerTrace t = model.trace(Torch.fromFloats(in.data, 1, 3, 16, 16)).get(1);
                float[] row = Torch.toFloats(t.attention().select(0, 0).select(1, 0)); // (h, n)
                int n = 17;
                for (int h = 0; h < 4; h++) {
                    double sum = row[h * n];
                    for (int q = 0; q < 16; q++) {
                        assertEquals(row[h * n + 1 + q], a.heads()[h][q], 1e-6);
                        sum += a.heads()[h][q];
                    }
                    assertEquals(1.0, sum, 1e-5); // with the class token's attention to itself, a softmax row
                }
                assertEquals(a.heads()[2][1 * 4 + 3], a.at(2, 1, 3));
            }
            assertThrows(CrateException.class, () -> m.attention(image, 2));
        }
    }

    @Test
    void featuresAreThePooledTokensTheHeadReads() {
        BufferedImage image = picture();
        try (CrateModel m = CrateModel.builder().heads(4).load(WEIGHTS)) {
            float[] f = m.features(image);
            assertEquals(32, f.length);
            Crate model = (Crate) m.classifier();
            FloatImage in = Preprocessing.defaultFor(3).evalTransform(16, 16, 3)
                    .apply(FloatImage.fromImage(ImageFiles.fromBufferedImage(image)), new Random(0));
            try (PointerScope s = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
                Tensor z = model.forwardFeatures(Torch.fromFloats(in.data, 1, 3, 16, 16), null);
                assertArrayEquals(Torch.toFloats(z.select(1, 0)), f, 1e-6f); // class-token pooling
            }
        }
    }

    @Test
    void closedModelsAndBadArgumentsFailWithOneLine() {
        CrateModel m = CrateModel.builder().heads(4).load(WEIGHTS);
        assertThrows(CrateException.class, () -> m.predict(picture(), 0));
        m.close();
        CrateException e = assertThrows(CrateException.class, () -> m.predict(picture(), 5));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        m.close(); // idempotent
        assertThrows(CrateException.class, () -> CrateModel.builder().heads(4).labels(List.of("a", "b")).load(WEIGHTS));
        assertThrows(CrateException.class, () -> CrateModel.builder().threads(0));
    }

    @Test
    void aCrateMaeFileGivesItsEncoderWithoutAHead() {
        Path mae = ClassifierParityTest.fixture("mae_plain.pth");
        try (CrateModel m = CrateModel.builder().heads(4).load(mae)) {
            assertEquals("mae-encoder", m.kind());
            assertEquals(0, m.classes());
            assertEquals(32, m.features(picture()).length);
            AttentionMap a = m.attention(picture(), 0);
            assertEquals(4, a.heads().length);
            CrateException e = assertThrows(CrateException.class, () -> m.predict(picture(), 5));
            assertTrue(e.getMessage().contains("no classifier head"), e.getMessage());
        }
    }

    /** CRATE-α, ViT and ToST files open through the same type, and predict as their models do. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"crate-alpha-fmnist, CRATE-α", "vit-fmnist, ViT", "tost-fmnist, ToST"})
    void everyFamilysFileOpensThroughTheFacade(String preset, String family, @org.junit.jupiter.api.io.TempDir Path tmp) {
        Torch.seed(5);
        org.crate4j.model.ImageClassifier model = org.crate4j.zoo.Zoo.create(preset, new org.crate4j.zoo.Zoo.Fit(1, 10, 0, -1),
                org.crate4j.engine.Device.CPU).train(false);
        Path file = tmp.resolve(preset + ".safetensors");
        model.save(file, java.util.Map.of());
        BufferedImage image = picture();
        var s = model.sizes();
        FloatImage in = Preprocessing.defaultFor(1).evalTransform(s.imageHeight(), s.imageWidth(), 1)
                .apply(FloatImage.fromImage(ImageFiles.fromBufferedImage(image)), new Random(0));
        List<org.crate4j.train.Prediction.Guess> expected = org.crate4j.train.Prediction.topK(model, in.data, 1, 3, List.of(),
                org.crate4j.engine.Precision.FP32).get(0);
        try (CrateModel m = CrateModel.load(file)) {
            assertEquals(family, m.family());
            assertEquals(10, m.classes());
            List<Classification> top = m.predict(image, 3);
            for (int i = 0; i < 3; i++) {
                assertEquals(expected.get(i).index(), top.get(i).index());
                assertEquals(expected.get(i).probability(), top.get(i).probability(), 1e-6);
            }
            AttentionMap a = m.attention(image, 0);
            assertTrue(a.heads().length >= 1 && a.heads()[0].length == a.gridHeight() * a.gridWidth(), a.toString());
            assertEquals(128, m.features(image).length);
        }
    }
}

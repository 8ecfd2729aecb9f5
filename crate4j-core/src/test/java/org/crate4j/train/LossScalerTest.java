package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.checkpoint.WeightsFile;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fp16's dynamic loss scale: skip and halve on overflow, grow after clean steps, gradients as in fp32. */
class LossScalerTest {
    private static final CrateConfig TINY = CrateConfig.of(8, 4, 1, 2, 16, 1, 2);

    @TempDir
    Path tmp;

    @Test
    void unscaledGradientsEqualTheFp32Gradients() {
        Torch.seed(5);
        Crate model = Crate.create(TINY);
        Map<String, float[]> plain = gradients(model, LossScaler.off());
        LossScaler scaler = LossScaler.dynamic(1024, 10);
        Map<String, float[]> unscaled = gradients(model, scaler);
        assertEquals(1024, scaler.scale(), "a finite step leaves the scale alone until the interval is reached");
        for (String name : plain.keySet()) {
            float[] a = plain.get(name), b = unscaled.get(name);
            double max = 0;
            for (float v : a) {
                max = Math.max(max, Math.abs(v));
            }
            assertArrayEquals(a, b, (float) (1e-6 * Math.max(max, 1e-12)), name);
        }
    }

    @Test
    void aNonFiniteGradientSkipsTheStepAndHalvesTheScale() {
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NaN}) {
            Torch.seed(5);
            Crate model = Crate.create(TINY);
            AdamW opt = new AdamW(model.parameters().asMap(), 0.05, 0.9, 0.999, 1e-8);
            LossScaler scaler = LossScaler.dynamic(1024, 10);
            backward(model, scaler);
            Map<String, float[]> before = values(model);
            model.parameters().get("cls_token").grad().fill_(new Scalar(bad)); // one overflowed gradient
            assertFalse(scaler.step(opt, 0.1, 1.0, model.parameters().tensors()), "step with a " + bad + " gradient");
            assertEquals(512, scaler.scale());
            assertEquals(1, scaler.skipped());
            assertEquals(0, opt.steps(), "the optimizer did not count the step");
            Map<String, float[]> after = values(model);
            before.forEach((name, v) -> assertArrayEquals(v, after.get(name), 0f, name + " moved on a skipped step"));

            opt.zeroGrad();
            backward(model, scaler);
            assertTrue(scaler.step(opt, 0.1, 1.0, model.parameters().tensors()), "the next, finite step is taken");
            assertEquals(1, opt.steps());
        }
    }

    @Test
    void theScaleDoublesAfterIntervalCleanStepsInARow() {
        LossScaler s = LossScaler.dynamic(8, 3);
        s.update(true);
        s.update(true);
        assertEquals(8, s.scale());
        s.update(true);
        assertEquals(16, s.scale());
        assertEquals(0, s.cleanSteps());
        s.update(true);
        s.update(false); // an overflow resets the count
        assertEquals(8, s.scale());
        s.update(true);
        s.update(true);
        assertEquals(8, s.scale(), "two clean steps since the overflow, not three");
        s.update(true);
        assertEquals(16, s.scale());
        assertEquals(LossScaler.INITIAL_SCALE, LossScaler.forPrecision(Precision.FP16).scale());
        assertFalse(LossScaler.forPrecision(Precision.BF16).enabled());
    }

    @Test
    void fp16TrainsOnTheCpuAndResumesWithItsScale() {
        InMemoryDataset train = ResumeTest.toyData(48, 1), val = ResumeTest.toyData(16, 2);
        Transform tf = Transforms.normalize(new float[] {0.5f}, new float[] {0.5f});
        Torch.seed(11);
        Crate full = Crate.create(TINY);
        Trainer.Summary s = fp16Trainer(full, tmp.resolve("full"), false).fit(train, tf, val, tf);
        assertTrue(Double.isFinite(s.top1()) && s.steps() == 12, "steps " + s.steps());
        String saved = WeightsFile.read(tmp.resolve("full/last.safetensors")).metadata().get(LossScaler.METADATA_KEY);
        String[] f = saved.split(" "); // scale, clean steps, skipped: 12 steps are far from a growth, so each skip halved
        assertEquals(LossScaler.INITIAL_SCALE / Math.pow(2, Long.parseLong(f[2])), Double.parseDouble(f[0]), saved);
        assertTrue(Long.parseLong(f[2]) < 12, "fp16 steps were taken: " + saved);

        Torch.seed(11);
        fp16Trainer(Crate.create(TINY), tmp.resolve("cut"), false).stopAfterStep(5).fit(train, tf, val, tf);
        Torch.seed(99);
        Crate resumed = Crate.create(TINY);
        fp16Trainer(resumed, tmp.resolve("cut"), true).fit(train, tf, val, tf);
        assertEquals(saved, WeightsFile.read(tmp.resolve("cut/last.safetensors")).metadata().get(LossScaler.METADATA_KEY));
        for (String name : TINY.parameterShapes().keySet()) {
            assertArrayEquals(Torch.toFloats(full.parameters().get(name)), Torch.toFloats(resumed.parameters().get(name)), 0f, name);
        }
    }

    @Test
    void fp16RefusesSamInOneLine() {
        TrainOptions o = ResumeTest.options(tmp.resolve("sam"), false).with(b -> { b.sam = 0.05; return b; });
        CrateException e = assertThrows(CrateException.class, () -> new Trainer(Crate.create(TINY), o, Precision.FP16,
                GradientSync.none(), Map.of(), java.util.List.of()));
        assertTrue(e.getMessage().startsWith("--sam with --precision fp16 is not supported"), e.getMessage());
    }

    private static Trainer fp16Trainer(Crate m, Path out, boolean resume) {
        TrainOptions o = ResumeTest.options(out, resume).with(b -> { b.epochs = 2; return b; });
        return new Trainer(m, o, Precision.FP16, GradientSync.none(), Map.of(), java.util.List.of(new MetricsFiles()));
    }

    /** Gradients of a fixed batch's loss through {@code scaler} (scaled backward, then unscaled). */
    private static Map<String, float[]> gradients(Crate model, LossScaler scaler) {
        for (Tensor p : model.parameters().tensors()) {
            if (p.grad() != null && p.grad().defined()) {
                p.grad().zero_();
            }
        }
        backward(model, scaler);
        assertTrue(scaler.unscale(model.parameters().tensors()));
        scaler.update(true);
        Map<String, float[]> out = new LinkedHashMap<>();
        model.parameters().asMap().forEach((k, p) -> out.put(k, Torch.toFloats(p.grad())));
        return out;
    }

    private static void backward(Crate model, LossScaler scaler) {
        try (PointerScope s = new PointerScope()) {
            float[] px = new float[4 * 64];
            for (int i = 0; i < px.length; i++) {
                px[i] = (float) Math.sin(i * 0.37);
            }
            Tensor x = Torch.floats(Device.CPU, px, 4, 1, 8, 8);
            Tensor y = Torch.longs(Device.CPU, new int[] {0, 1, 1, 0});
            scaler.scale(Losses.crossEntropy(model.forward(x), y, 0.1)).backward();
        }
    }

    private static Map<String, float[]> values(Crate model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.parameters().asMap().forEach((k, p) -> out.put(k, Torch.toFloats(p)));
        return out;
    }
}

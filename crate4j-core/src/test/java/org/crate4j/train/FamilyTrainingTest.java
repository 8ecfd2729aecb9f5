package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.checkpoint.Safetensors;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.ParameterKind;
import org.crate4j.tost.Tost;
import org.crate4j.tost.TostConfig;
import org.crate4j.zoo.Zoo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one training loop on the other families: resume with BatchNorm statistics, decay by kind, learning. */
class FamilyTrainingTest {
    @TempDir
    Path tmp;

    private static final TostConfig TINY_TOST = TostPresets16.tiny();
    private static final Transform TRAIN = Transforms.compose(Transforms.resize(16, 16), Transforms.horizontalFlip(0.5),
            Transforms.normalize(new float[] {0.5f}, new float[] {0.5f}));
    private static final Transform EVAL = Transforms.compose(Transforms.resize(16, 16), Transforms.normalize(new float[] {0.5f}, new float[] {0.5f}));

    /** A 16 × 16 grey ToST with a patch-8 stem (a 2 × 2 grid), dropout on, so that resume must redraw the same masks. */
    static final class TostPresets16 {
        static TostConfig tiny() {
            return org.crate4j.tost.TostPresets.get("tost-fmnist").with(b -> b.imageSize(16).classes(2).dim(16).depth(2).heads(2)
                    .dropout(0.1));
        }
    }

    private Trainer trainer(ImageClassifier m, TrainOptions o) {
        return new Trainer(m, o, Precision.FP32, GradientSync.none(), Map.of(), List.of(new MetricsFiles()));
    }

    @Test
    void resumedToStRunEqualsUninterruptedRunRunningStatisticsIncluded() {
        InMemoryDataset train = ResumeTest.toyData(48, 1), val = ResumeTest.toyData(16, 2);
        Torch.seed(11);
        Tost full = Tost.create(TINY_TOST);
        trainer(full, ResumeTest.options(tmp.resolve("full"), false)).fit(train, TRAIN, val, EVAL);

        Torch.seed(11);
        Tost first = Tost.create(TINY_TOST);
        trainer(first, ResumeTest.options(tmp.resolve("cut"), false)).stopAfterStep(8).fit(train, TRAIN, val, EVAL);
        Torch.seed(99); // a different process: nothing but the checkpoint carries over
        Tost second = Tost.create(TINY_TOST);
        trainer(second, ResumeTest.options(tmp.resolve("cut"), true)).fit(train, TRAIN, val, EVAL);

        int statistics = 0;
        for (Map.Entry<String, Tensor> e : full.stateDict().entrySet()) {
            assertArrayEquals(Torch.toFloats(e.getValue()), Torch.toFloats(second.stateDict().get(e.getKey())), 0f, e.getKey());
            statistics += full.kinds().get(e.getKey()) == ParameterKind.STATISTIC ? 1 : 0;
        }
        assertEquals(9, statistics, "the stem's running means, variances and batch counts were compared too");
        float[] fresh = Torch.toFloats(Tost.create(TINY_TOST).statistics().get("patch_embed.proj.0.1.running_mean"));
        float[] trained = Torch.toFloats(full.statistics().get("patch_embed.proj.0.1.running_mean"));
        assertTrue(Math.abs(trained[0] - fresh[0]) > 1e-6, "training moved the running statistics");
        Map<String, long[]> saved = new java.util.LinkedHashMap<>();
        Safetensors.read(tmp.resolve("cut").resolve("last.safetensors")).tensors().forEach((k, v) -> saved.put(k, v.shape()));
        assertTrue(saved.containsKey("patch_embed.proj.0.1.running_var") && saved.containsKey("patch_embed.proj.0.1.num_batches_tracked"),
                "the checkpoint holds the whole state dict: " + saved.keySet());
        List<Map<String, Double>> a = new MetricsLog(tmp.resolve("full"), true).rows();
        List<Map<String, Double>> b = new MetricsLog(tmp.resolve("cut"), true).rows();
        assertEquals(a.get(a.size() - 1).get("val_loss"), b.get(b.size() - 1).get("val_loss"));
    }

    @Test
    void weightDecayFollowsTheKindNotTheName() {
        Tost model = Tost.create(TINY_TOST);
        Map<String, Tensor> params = model.parameters().asMap();
        Optimizer adamw = new AdamW(params, 0.5, 0.9, 0.999, 1e-8).decaying(n -> model.kinds().get(n).decays());
        float[] temp = Torch.toFloats(params.get("blocks.0.attn.temp"));
        float[] qkv = Torch.toFloats(params.get("blocks.0.attn.qkv.weight"));
        try (PointerScope scope = new PointerScope()) {
            Tensor x = Torch.rand(Device.CPU, 2, 1, 16, 16);
            model.train(true).forward(x).sum().mul(new Scalar(0.0)).backward(); // every gradient defined and zero: only decay moves
        }
        adamw.step(0.1);
        assertArrayEquals(temp, Torch.toFloats(params.get("blocks.0.attn.temp")), 0f, "temp (h, 1) is a matrix by rank but exempt by kind");
        float[] after = Torch.toFloats(params.get("blocks.0.attn.qkv.weight"));
        for (int i = 0; i < qkv.length; i++) {
            assertEquals(qkv[i] * 0.95f, after[i], 1e-6f);
        }
    }

    @ParameterizedTest
    @CsvSource({"crate-alpha-fmnist, 14", "vit-fmnist, 14", "tost-fmnist, 16"})
    void everyFamilyLearnsTheToyTaskInTheOneLoop(String preset, int size) {
        InMemoryDataset train = ResumeTest.toyData(48, 1), val = ResumeTest.toyData(16, 2);
        Torch.seed(5);
        ImageClassifier m = Zoo.create(preset, new Zoo.Fit(1, 2, size, 0), Device.CPU);
        TrainOptions o = ResumeTest.options(tmp.resolve(preset), false).with(b -> { b.epochs = 4; return b; });
        Transform norm = Transforms.normalize(new float[] {0.5f}, new float[] {0.5f});
        Trainer.Summary s = trainer(m, o).fit(train, Transforms.compose(Transforms.resize(size, size), Transforms.horizontalFlip(0.5), norm),
                val, Transforms.compose(Transforms.resize(size, size), norm));
        assertTrue(s.top1() >= 0.9, preset + " top-1 " + s.top1() + " on two stripe orientations");
        assertEquals(m.format(), Safetensors.read(tmp.resolve(preset).resolve("last.safetensors")).metadata().get("format"));
    }
}

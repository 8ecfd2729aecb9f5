package org.crate4j.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.engine.Device;
import org.crate4j.engine.ThreadShards;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.mae.MaePresets;
import org.crate4j.model.ImageClassifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every family's inference forward and features, split into row shards on two threads
 * ({@link ThreadShards}), equal the whole batch's: ToST's BatchNorm uses its running statistics
 * then, so its rows are independent too. CRATE-MAE's encoder features likewise.
 */
class ThreadShardedInferenceTest {
    private int threadsBefore;

    @BeforeEach
    void twoThreads() {
        threadsBefore = Torch.threads();
        Torch.setThreads(2);
    }

    @AfterEach
    void restore() {
        ThreadShards.setEnabled(true);
        Torch.setThreads(threadsBefore);
    }

    @ParameterizedTest
    @CsvSource({"crate-fmnist, 28", "crate-alpha-fmnist, 14", "vit-fmnist, 14", "tost-fmnist, 16"})
    void logitsAndFeaturesOfShardsEqualTheWholeBatchs(String preset, int size) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Torch.seed(9);
            ImageClassifier m = Zoo.create(preset, new Zoo.Fit(1, 3, size, 0), Device.CPU).train(false);
            Tensor x = Torch.rand(Device.CPU, 5, 1, size, size);
            long before = ThreadShards.shardsRun();
            ThreadShards.setEnabled(true);
            float[] logits = Torch.toFloats(m.forward(x)), features = Torch.toFloats(m.features(x));
            assertEquals(before + 4, ThreadShards.shardsRun(), preset + ": forward and features ran as two shards each");
            ThreadShards.setEnabled(false);
            assertArrayEquals(Torch.toFloats(m.forward(x)), logits, 1e-5f, preset + " logits");
            assertArrayEquals(Torch.toFloats(m.features(x)), features, 1e-5f, preset + " features");
            assertEquals(5 * 3, logits.length);
        }
    }

    @Test
    void maeEncoderFeaturesOfShardsEqualTheWholeBatchs() {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Torch.seed(9);
            CrateMae m = CrateMae.create(MaePresets.get("crate-mae-fmnist"), Device.CPU);
            Tensor x = Torch.rand(Device.CPU, 3, 1, 28, 28);
            long before = ThreadShards.shardsRun();
            float[] split = Torch.toFloats(m.encodeFeatures(x));
            assertEquals(before + 2, ThreadShards.shardsRun());
            ThreadShards.setEnabled(false);
            assertArrayEquals(Torch.toFloats(m.encodeFeatures(x)), split, 1e-5f);
        }
    }
}

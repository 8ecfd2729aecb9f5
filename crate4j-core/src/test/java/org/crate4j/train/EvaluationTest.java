package org.crate4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.data.InMemoryDataset;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.junit.jupiter.api.Test;

class EvaluationTest {
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
}

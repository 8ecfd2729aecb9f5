package org.crate4j.train;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.ImageClassifier;

/** Top-k classification of prepared images. */
public final class Prediction {
    public record Guess(int index, String label, double probability) {}

    private Prediction() {}

    /** images: (n, C, H, W) normalised, row-major. Returns the k most probable classes per image, computed on the model's device. */
    public static List<List<Guess>> topK(ImageClassifier model, float[] images, int n, int k, List<String> labels,
            Precision precision) {
        ImageClassifier.Sizes c = model.sizes();
        int kk = Math.min(k, c.numClasses());
        List<List<Guess>> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            model.train(false);
            Tensor x = Torch.floats(model.device(), images, n, c.channels(), images.length / ((long) n * c.channels() * c.imageWidth()),
                    c.imageWidth());
            Tensor logits;
            try (Precision.Scope ac = precision.enter(model.device())) {
                logits = model.forward(x);
            }
            Tensor probs = torch.softmax(logits.to(torch.ScalarType.Float), 1);
            T_TensorTensor_T top = torch.topk(probs, kk);
            float[] p = Torch.toFloats(top.get0());
            float[] idx = Torch.toFloats(top.get1());
            for (int i = 0; i < n; i++) {
                List<Guess> row = new ArrayList<>();
                for (int j = 0; j < kk; j++) {
                    int cls = (int) idx[i * kk + j];
                    row.add(new Guess(cls, cls < labels.size() ? labels.get(cls) : Integer.toString(cls), p[i * kk + j]));
                }
                out.add(row);
            }
        }
        return out;
    }
}

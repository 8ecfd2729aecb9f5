package org.crate4j.train;

import java.util.Map;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * A linear classifier on frozen features (the MAE papers' linear probe): features standardised
 * with the training split's per-dimension mean and spread (a BatchNorm without affine, as MAE
 * puts before its probe), then softmax regression trained with AdamW and a cosine schedule.
 */
public final class LinearProbe {
    /** Accuracy on the evaluation split and on the training split (how well a line fits at all). */
    public record Result(double top1, double trainTop1) {}

    /**
     * @param epochs passes over the training features
     * @param batch  rows per step
     * @param lr     AdamW's peak learning rate
     */
    public record Settings(int epochs, int batch, double lr, double weightDecay, long seed) {
        public static Settings defaults() {
            return new Settings(30, 256, 1e-3, 1e-4, 0);
        }
    }

    private LinearProbe() {}

    /**
     * Fits the probe. It runs on the CPU: its model is one classes × d matrix over features that
     * live in host memory (the encoder that made them ran on its own device, see ProbeFeatures).
     */
    public static Result fit(ProbeFeatures train, ProbeFeatures test, int classes, Settings s) {
        Torch.init();
        Device cpu = Device.CPU;
        int d = train.dim(), n = train.count();
        Tensor mean, spread;
        Tensor x, xTest, y = labels(train.labels(), n), yTest = labels(test.labels(), test.count());
        Tensor raw = Torch.floats(cpu, train.values(), n, d);
        mean = raw.mean(new long[] {0}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
        spread = raw.var(new long[] {0}, false, true).add(new Scalar(1e-4)).sqrt();
        x = raw.sub(mean).div(spread);
        xTest = Torch.floats(cpu, test.values(), test.count(), d).sub(mean).div(spread);

        Tensor w = Torch.zeros(cpu, classes, d).requires_grad_(true);
        Tensor b = Torch.zeros(cpu, classes).requires_grad_(true);
        AdamW opt = new AdamW(Map.of("weight", w, "bias", b), s.weightDecay(), 0.9, 0.999, 1e-8);
        int perEpoch = Math.max(1, n / s.batch());
        LrSchedule schedule = new LrSchedule(s.lr(), 0, 0, (long) s.epochs() * perEpoch);
        long step = 0;
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            long[] order = permutation(n, new SplittableRandom(s.seed() * 31 + epoch));
            for (int i = 0; i < perEpoch; i++) {
                try (PointerScope scope = new PointerScope()) {
                    int from = i * s.batch(), to = Math.min(n, from + s.batch());
                    Tensor idx = Torch.longs(cpu, java.util.Arrays.copyOfRange(order, from, to));
                    Tensor logits = linear(x.index_select(0, idx), w, b);
                    Tensor loss = Losses.crossEntropy(logits, y.index_select(0, idx), 0);
                    opt.zeroGrad();
                    loss.backward();
                    opt.step(schedule.at(step++));
                }
            }
        }
        try (NoGradGuard g = new NoGradGuard()) {
            return new Result(accuracy(linear(xTest, w, b), yTest), accuracy(linear(x, w, b), y));
        }
    }

    private static Tensor linear(Tensor x, Tensor w, Tensor b) {
        return torch.addmm(b, x, w.t());
    }

    private static double accuracy(Tensor logits, Tensor y) {
        return logits.argmax(new LongOptional(1), false).eq(y).to(torch.ScalarType.Float).mean().item_double();
    }

    private static Tensor labels(int[] labels, int n) {
        return Torch.longs(Device.CPU, java.util.Arrays.copyOf(labels, n));
    }

    private static long[] permutation(int n, SplittableRandom r) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}

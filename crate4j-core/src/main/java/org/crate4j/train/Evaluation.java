package org.crate4j.train;

import java.util.Arrays;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.data.BadFiles;
import org.crate4j.data.Batch;
import org.crate4j.data.DataLoader;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import org.crate4j.model.ImageClassifier;

/**
 * Top-1/top-5 accuracy, mean loss and the confusion matrix of a model on a split. Only images
 * that could be read are scored, each once: a bad file is left out and reported, never replaced,
 * and a class whose every file is bad is an error.
 */
public final class Evaluation {
    /**
     * @param images     images scored (over all processes)
     * @param confusion  rows: true class, columns: predicted (this process's images)
     * @param unreadable the files left out because they could not be decoded (over all processes)
     */
    public record Result(double top1, double top5, double loss, long images, long[][] confusion, BadFiles unreadable) {}

    private Evaluation() {}

    /** Evaluates where the model lives (its {@link ImageClassifier#device()}). */
    public static Result run(ImageClassifier model, DataLoader loader, Precision precision, GradientSync sync) {
        return run(model, loader, precision, sync, false);
    }

    /**
     * With {@code flip}, each image is also classified mirrored left to right and the two softmax
     * outputs are averaged (test-time augmentation for data whose classes are mirror-symmetric);
     * loss and accuracy are those of the averaged probabilities. Twice the forward work.
     */
    public static Result run(ImageClassifier model, DataLoader loader, Precision precision, GradientSync sync, boolean flip) {
        if (loader.onBadFile() == DataLoader.OnBadFile.SUBSTITUTE) {
            throw new IllegalArgumentException("evaluation scores each readable image once: give it a loader that skips or fails on "
                    + "bad files, not one that substitutes");
        }
        int k = model.sizes().numClasses();
        long[][] confusion = new long[k][k];
        double[] totals = new double[4 + k]; // correct1, correct5, loss sum, count, then the images of each class
        boolean was = model.isTraining();
        model.train(false);
        try (NoGradGuard g = new NoGradGuard()) {
            for (Batch b : loader) {
                try (PointerScope scope = new PointerScope()) {
                    Tensor x = Torch.floats(model.device(), b.images(), b.size(), b.channels(), b.height(), b.width());
                    Tensor y = Torch.longs(model.device(), b.labels());
                    Tensor logits = logits(model, x, precision);
                    if (flip) { // log of the mean probability: cross-entropy and top-k below read it like logits
                        Tensor mirrored = logits(model, x.flip(3), precision);
                        logits = torch.softmax(logits, 1).add(torch.softmax(mirrored, 1)).mul(new org.bytedeco.pytorch.Scalar(0.5)).log();
                    }
                    totals[2] += Losses.crossEntropy(logits, y, 0).item_double() * b.size();
                    T_TensorTensor_T top = torch.topk(logits, Math.min(5, k));
                    float[] idx = Torch.toFloats(top.get1());
                    int kk = Math.min(5, k);
                    for (int i = 0; i < b.size(); i++) {
                        int truth = b.labels()[i];
                        int guess = (int) idx[i * kk];
                        confusion[truth][guess]++;
                        totals[4 + truth]++;
                        totals[0] += guess == truth ? 1 : 0;
                        for (int j = 0; j < kk; j++) {
                            if ((int) idx[i * kk + j] == truth) {
                                totals[1]++;
                                break;
                            }
                        }
                    }
                    totals[3] += b.size();
                }
            }
        }
        model.train(was);
        totals = sync.sum(totals);
        int[] bad = DataIntegrity.gather(loader.badIndices(), sync);
        DataIntegrity.requireReadableClasses(loader, Arrays.copyOfRange(totals, 4, 4 + k), bad);
        double n = Math.max(1, totals[3]);
        return new Result(totals[0] / n, totals[1] / n, totals[2] / n, (long) totals[3], confusion, loader.badFiles(bad));
    }

    private static Tensor logits(ImageClassifier model, Tensor x, Precision precision) {
        try (Precision.Scope ac = precision.enter(model.device())) {
            return model.forward(x).to(torch.ScalarType.Float);
        }
    }
}

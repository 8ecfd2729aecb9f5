package org.crate4j.train;

import java.nio.file.Path;
import org.crate4j.CrateException;
import org.crate4j.data.DataHome;
import org.crate4j.data.Dataset;
import org.crate4j.data.Datasets;
import org.crate4j.data.Preprocessing;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.ImageClassifier;

/** Resolves a run's data: the splits, and the train and evaluation transforms for a model. */
public record TrainData(Path root, Dataset train, Dataset val, boolean fashionMnist) {
    /** Fashion-MNIST's own statistics (pixel mean and std over the training set). */
    public static final Preprocessing FASHION_MNIST = new Preprocessing(new float[] {0.2860f}, new float[] {0.3530f}, 1.0,
            org.crate4j.data.MnistIdx.FASHION_CLASSES);

    /** {@code dir} null: Fashion-MNIST, found or installed (apt) or downloaded with checksums. */
    public static TrainData open(Path dir, String valSplit) {
        boolean fm = dir == null;
        Path root = fm ? DataHome.ensureFashionMnist(true, true) : dir;
        org.crate4j.io.Inputs.requireDirectory(root, "data directory");
        Dataset train = Datasets.open(root, "train");
        Dataset val = Datasets.open(root, valSplit);
        if (train.size() == 0) {
            throw new CrateException("data directory " + root + " has no training images");
        }
        return new TrainData(root, train, val, fm || root.toString().toLowerCase(java.util.Locale.ROOT).contains("fashion"));
    }

    public Preprocessing preprocessing(int channels) {
        return (fashionMnist && channels == 1 ? FASHION_MNIST : Preprocessing.defaultFor(channels)).withClasses(train.classes());
    }

    /**
     * The training augmentation by name: {@code none}; {@code flip} (horizontal flip); {@code erase} (flip, then RandomErasing with
     * probability 0.5 after normalisation); {@code shift}
     * (flip and a random crop of the image padded by an eighth of its side: translation without
     * resampling, the classic small-image augmentation); {@code light} (mild random-resized crop and
     * flip); {@code imagenet} (docs/architecture.md §5 train transform);
     * {@code finetune} (resize, RandomResizedCrop, flip, RandAugment(2, 14)).
     */
    public Transform trainTransform(String augment, CrateConfig c) {
        return trainTransform(augment, c.channels(), c.imageHeight(), c.imageWidth());
    }

    /** {@link #trainTransform(String, CrateConfig)} for any classifier's input sizes. */
    public Transform trainTransform(String augment, ImageClassifier.Sizes s) {
        return trainTransform(augment, s.channels(), s.imageHeight(), s.imageWidth());
    }

    private Transform trainTransform(String augment, int channels, int h, int w) {
        Preprocessing p = preprocessing(channels);
        Transform fit = Transforms.compose(Transforms.toChannels(channels), Transforms.resize(h, w));
        Transform norm = Transforms.normalize(p.mean(), p.std());
        switch (augment) {
            case "none":
                return Transforms.compose(fit, norm);
            case "flip":
                return Transforms.compose(fit, Transforms.horizontalFlip(0.5), norm);
            case "erase":
                return Transforms.compose(fit, Transforms.horizontalFlip(0.5), norm, Transforms.randomErasing(0.5));
            case "shift":
                return Transforms.compose(fit, Transforms.horizontalFlip(0.5), Transforms.randomCrop(h, w, Math.max(1, Math.min(h, w) / 8)), norm);
            case "light":
                return Transforms.compose(fit, Transforms.randomResizedCrop(h, w, 0.75, 1.0, 0.9, 1.1),
                        Transforms.horizontalFlip(0.5), norm);
            case "imagenet":
                return Transforms.compose(Transforms.toChannels(channels),
                        Transforms.randomResizedCrop(h, w, 0.08, 1.0, 3.0 / 4, 4.0 / 3), Transforms.horizontalFlip(0.5), norm);
            case "finetune":
                return Transforms.compose(Transforms.toChannels(channels), Transforms.resize(h, w),
                        Transforms.randomResizedCrop(h, w, 0.08, 1.0, 3.0 / 4, 4.0 / 3), Transforms.horizontalFlip(0.5),
                        Transforms.randAugment(2, 14), norm);
            default:
                throw new CrateException("unknown --augment '" + augment + "': use none, flip, erase, shift, light, imagenet or finetune");
        }
    }

    public Transform evalTransform(CrateConfig c) {
        return evalTransform(c.channels(), c.imageHeight(), c.imageWidth());
    }

    public Transform evalTransform(int channels, int height, int width) {
        return preprocessing(channels).evalTransform(height, width, channels);
    }

    /**
     * The MAE pre-training augmentation (docs/architecture.md §2): RandomResizedCrop(scale {@code cropScaleMin}–1,
     * ratio 3/4–4/3), horizontal flip, normalise.
     */
    public Transform pretrainTransform(int channels, int size, double cropScaleMin) {
        Preprocessing p = preprocessing(channels);
        return Transforms.compose(Transforms.toChannels(channels),
                Transforms.randomResizedCrop(size, size, cropScaleMin, 1.0, 3.0 / 4, 4.0 / 3), Transforms.horizontalFlip(0.5),
                Transforms.normalize(p.mean(), p.std()));
    }

    /** The evaluation transform that goes with a training augmentation: fine-tuning tests at h×w directly (architecture §5). */
    public Transform evalTransform(String augment, CrateConfig c) {
        return evalTransform(augment, c.channels(), c.imageHeight(), c.imageWidth());
    }

    /** {@link #evalTransform(String, CrateConfig)} for any classifier's input sizes. */
    public Transform evalTransform(String augment, ImageClassifier.Sizes s) {
        return evalTransform(augment, s.channels(), s.imageHeight(), s.imageWidth());
    }

    private Transform evalTransform(String augment, int channels, int height, int width) {
        if (!augment.equals("finetune")) {
            return evalTransform(channels, height, width);
        }
        Preprocessing p = preprocessing(channels);
        return Transforms.compose(Transforms.toChannels(channels), Transforms.resize(height, width),
                Transforms.normalize(p.mean(), p.std()));
    }
}

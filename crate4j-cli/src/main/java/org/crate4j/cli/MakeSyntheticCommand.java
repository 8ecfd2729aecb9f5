package org.crate4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.crate4j.data.SyntheticObjects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "make-synthetic", mixinStandardHelpOptions = true,
        description = {"Writes a synthetic segmentation dataset: a disc, square or triangle (the class) on a textured background.",
                "Layout: OUT/train/<class>/*.png (or .jpg), OUT/val/<class>/*.png (an image folder for 'crate train')",
                "and OUT/masks/<name>.png (0 background, class index + 1 on the object) for 'crate segment --eval OUT/masks'."})
final class MakeSyntheticCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--train", defaultValue = "3000", description = "training images (default: ${DEFAULT-VALUE})")
    int train;

    @Option(names = "--val", defaultValue = "600", description = "validation images (default: ${DEFAULT-VALUE})")
    int val;

    @Option(names = "--size", defaultValue = "64", description = "image side in pixels (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--format", defaultValue = "png", description = "image files: png or jpg (masks are PNG either way; default: ${DEFAULT-VALUE})")
    String format;

    @Override
    public Integer call() {
        SyntheticObjects.write(out, train, val, size, seed, format);
        System.out.printf("wrote %d train and %d val images of %dx%d (%s) with masks to %s%n", train, val, size, size,
                String.join(", ", SyntheticObjects.CLASSES), out);
        return 0;
    }
}

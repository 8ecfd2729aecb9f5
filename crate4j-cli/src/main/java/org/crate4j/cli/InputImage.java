package org.crate4j.cli;

import java.nio.file.Path;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.analysis.ModelInput;
import org.crate4j.data.FloatImage;
import org.crate4j.data.Image;
import org.crate4j.data.ImageFiles;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * One image given on the command line: the original, the same stretched to the analysis size (to
 * draw maps on) and the model's normalised input.
 *
 * @param name the file's base name, for output files and ground-truth look-up
 */
record InputImage(Path path, String name, Image original, Image display, Tensor input) {

    static InputImage load(Path path, int size, int channels, ModelInput.Normalization norm) {
        return of(path, ImageFiles.readRgb(path), size, channels, norm);
    }

    /** An image already decoded (an upload to {@code crate serve}), prepared as {@link #load} prepares a file. */
    static InputImage of(Path path, Image original, int size, int channels, ModelInput.Normalization norm) {
        FloatImage rgb = FloatImage.fromImage(original);
        Image display = Transforms.resize(size, size).apply(rgb, null).toImage();
        FloatImage in = ModelInput.stretch(channels, size, size, norm).apply(rgb, null);
        // created outside any PointerScope, so it lives (GC-owned) across the commands' per-image scopes; in host
        // memory, as the pixels are: the traced encoder copies it to the model's device
        Tensor t = Torch.floats(Device.CPU, in.data, 1, in.channels, in.height, in.width);
        return new InputImage(path, baseName(path), original, display, t);
    }

    /** The analysis size: --size, or the model's own input size; a multiple of the patch either way. */
    static int size(Integer requested, int modelSize, int patch) {
        int s = requested == null ? modelSize : requested;
        if (s <= 0 || s % patch != 0) {
            throw new CrateException("--size " + s + " is not a positive multiple of the patch size " + patch
                    + ": try " + Math.max(patch, Math.round(s / (float) patch) * patch));
        }
        return s;
    }

    static String baseName(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}

package org.crate4j.mae;

import java.util.SplittableRandom;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * Which patches an image keeps (docs/architecture.md §2): per image, the {@code keep} patches with the smallest
 * noise. The reference's random shuffle, as index tensors.
 *
 * @param mask       (B, N) float, 1 = removed, 0 = kept
 * @param idsKeep    (B, keep) long, the kept patches in ascending order of their noise
 * @param idsRestore (B, N) long, each patch's rank in the noise order (argsort of the shuffle)
 */
public record Masking(Tensor mask, Tensor idsKeep, Tensor idsRestore) {

    /** Masks by sorted noise (B, N): keeps the {@code keep} smallest of each row. */
    public static Masking fromNoise(Tensor noise, int keep) {
        if (noise.dim() != 2 || keep < 0 || keep > noise.size(1)) {
            throw new IllegalArgumentException("noise must be (B, N) with N ≥ " + keep + ", got "
                    + java.util.Arrays.toString(Torch.shape(noise)));
        }
        Tensor idsShuffle = torch.argsort(noise, true, 1, false);       // ascending: small is kept
        Tensor idsRestore = torch.argsort(idsShuffle, true, 1, false);
        Tensor idsKeep = idsShuffle.narrow(1, 0, keep);
        // the reference sets the first `keep` of the shuffled order to 0 and unshuffles: a patch
        // is removed exactly when its rank is ≥ keep
        Tensor mask = idsRestore.ge(new Scalar((long) keep)).to(torch.ScalarType.Float);
        return new Masking(mask, idsKeep, idsRestore);
    }

    /**
     * Uniform noise (count, patches) for images {@code first … first+count−1} of a fixed list:
     * each row is a function of (seed, image index) alone, so an image is masked the same way
     * whatever batch it comes in (held-out losses, reconstructions). On {@code device} (the model's).
     */
    public static Tensor seededNoise(long seed, int first, int count, int patches, Device device) {
        int[] images = new int[count];
        for (int i = 0; i < count; i++) {
            images[i] = first + i;
        }
        return seededNoise(seed, images, patches, device);
    }

    /** As {@link #seededNoise(long, int, int, int, Device)} for the images of the given indices, in that order. */
    public static Tensor seededNoise(long seed, int[] images, int patches, Device device) {
        float[] noise = new float[images.length * patches];
        for (int i = 0; i < images.length; i++) {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + images[i]);
            for (int j = 0; j < patches; j++) {
                noise[i * patches + j] = (float) r.nextDouble();
            }
        }
        return Torch.floats(device, noise, images.length, patches);
    }

    /** (B, N, 1) booleans, true where the patch was replaced by the mask token. */
    public Tensor removed() {
        return mask.unsqueeze(-1).gt(new Scalar(0.5));
    }
}

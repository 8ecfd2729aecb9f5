package org.crate4j.analysis;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.data.FloatImage;
import org.crate4j.data.Transform;
import org.crate4j.data.Transforms;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;

/**
 * How images are prepared for a model under analysis: channels converted to the model's, size
 * fitted, and normalised with the statistics the weights were trained with — from the weights'
 * metadata ({@code mean}/{@code std} as JSON arrays) when present, else ImageNet's for 3-channel
 * models and 0.5/0.5 for 1-channel ones.
 */
public final class ModelInput {
    private ModelInput() {}

    public record Normalization(float[] mean, float[] std) {}

    public static Normalization normalization(int channels, Map<String, String> metadata) {
        String mean = metadata.get("mean"), std = metadata.get("std");
        if (mean != null && std != null) {
            return new Normalization(floats("mean", mean, channels), floats("std", std, channels));
        }
        return channels == 3 ? new Normalization(Transforms.IMAGENET_MEAN, Transforms.IMAGENET_STD)
                : new Normalization(new float[] {0.5f}, new float[] {0.5f});
    }

    /** Dataset evaluation: shorter side to the larger target side, centre crop, normalise. */
    public static Transform fitAndCrop(int channels, int height, int width, Normalization n) {
        return Transforms.compose(Transforms.toChannels(channels), (img, rng) -> img.height == height && img.width == width ? img
                : Transforms.centerCrop(height, width).apply(Transforms.resize(Math.max(height, width)).apply(img, rng), rng),
                Transforms.normalize(n.mean(), n.std()));
    }

    /** Single images for maps laid back onto the picture: stretched to exactly height × width. */
    public static Transform stretch(int channels, int height, int width, Normalization n) {
        return Transforms.compose(Transforms.toChannels(channels), Transforms.resize(height, width),
                Transforms.normalize(n.mean(), n.std()));
    }

    /** Stacks same-size CHW images into a (B, C, H, W) tensor on {@code device}. */
    public static Tensor batch(List<FloatImage> images, Device device) {
        FloatImage first = images.get(0);
        int size = first.data.length;
        float[] all = new float[Math.multiplyExact(size, images.size())];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i).data, 0, all, i * size, size);
        }
        return Torch.floats(device, all, images.size(), first.channels, first.height, first.width);
    }

    private static float[] floats(String key, String json, int channels) {
        try {
            JsonArray a = JsonParser.parseString(json).getAsJsonArray();
            float[] out = new float[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).getAsFloat();
            }
            if (out.length != 1 && out.length != channels) {
                throw new CrateException("weights metadata '" + key + "' has " + out.length + " values but the model has "
                        + channels + " channels");
            }
            return out;
        } catch (RuntimeException e) {
            if (e instanceof CrateException c) {
                throw c;
            }
            throw new CrateException("weights metadata '" + key + "' is not a JSON array of numbers: " + json);
        }
    }
}

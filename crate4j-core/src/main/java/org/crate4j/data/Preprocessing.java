package org.crate4j.data;

import com.google.gson.Gson;
import java.util.List;
import java.util.Map;

/**
 * How a model's inputs are prepared (timm's pretrained config): normalisation statistics, the
 * evaluation crop fraction and the class names. Stored in our safetensors metadata so that
 * {@code predict} needs no flags for our own weights.
 */
public record Preprocessing(float[] mean, float[] std, double cropFraction, List<String> classes) {
    private static final Gson GSON = new Gson();

    public static Preprocessing imagenet() {
        return new Preprocessing(Transforms.IMAGENET_MEAN, Transforms.IMAGENET_STD, 224.0 / 256.0, List.of());
    }

    /** Statistics for c-channel inputs: ImageNet's for RGB, (0.5, 0.5) per channel otherwise. */
    public static Preprocessing defaultFor(int channels) {
        if (channels == 3) {
            return imagenet();
        }
        float[] half = new float[channels];
        java.util.Arrays.fill(half, 0.5f);
        return new Preprocessing(half, half.clone(), 224.0 / 256.0, List.of());
    }

    public Preprocessing withClasses(List<String> names) {
        return new Preprocessing(mean, std, cropFraction, names);
    }

    /**
     * The evaluation transform for an h×w model: images already h×w are only normalised; others
     * are resized so the crop window is {@code cropFraction} of them (shorter side size·256/224 for
     * square inputs), then centre-cropped. Channels are converted to the model's.
     */
    public Transform evalTransform(int h, int w, int channels) {
        int shorter = (int) Math.floor(Math.max(h, w) / cropFraction);
        Transform resize = Transforms.resize(shorter);
        Transform crop = Transforms.centerCrop(h, w);
        Transform chans = Transforms.toChannels(channels);
        Transform norm = Transforms.normalize(mean, std);
        return (img, rng) -> {
            FloatImage out = img.height == h && img.width == w ? img : crop.apply(resize.apply(img, rng), rng);
            return norm.apply(chans.apply(out, rng), rng);
        };
    }

    public Map<String, String> toMetadata() {
        return Map.of("mean", GSON.toJson(mean), "std", GSON.toJson(std),
                "crop_fraction", Double.toString(cropFraction), "classes", GSON.toJson(classes));
    }

    /** Reads what {@link #toMetadata} wrote; missing entries fall back to {@code fallback}'s. */
    public static Preprocessing fromMetadata(Map<String, String> meta, Preprocessing fallback) {
        float[] mean = meta.containsKey("mean") ? GSON.fromJson(meta.get("mean"), float[].class) : fallback.mean();
        float[] std = meta.containsKey("std") ? GSON.fromJson(meta.get("std"), float[].class) : fallback.std();
        double crop = meta.containsKey("crop_fraction") ? Double.parseDouble(meta.get("crop_fraction")) : fallback.cropFraction();
        List<String> classes = meta.containsKey("classes")
                ? List.of(GSON.fromJson(meta.get("classes"), String[].class)) : fallback.classes();
        return new Preprocessing(mean, std, crop, classes);
    }
}

package org.crate4j.analysis;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;

/**
 * The analysis results as named arrays for numpy and PyTorch users: float32 maps, bool masks and
 * int32 labels and boxes, every map shaped (…, gridHeight, gridWidth) so that {@code a[j, y, x]} is
 * patch (y, x). Saved as one safetensors file per image, with the layer and grid in its metadata.
 */
public final class AnalysisArrays {
    /** Bumped when an array's name, shape or meaning changes. */
    public static final String VERSION = "1";

    private AnalysisArrays() {}

    /** {@code attention} (heads, gh, gw) and {@code class_token} (heads): the two parts of each head's class-token row. */
    public static Map<String, RawTensor> of(ClassTokenAttention a) {
        Map<String, RawTensor> out = new LinkedHashMap<>();
        out.put("attention", RawTensor.ofFloats(concat(a.toPatches()), a.heads(), a.gridHeight(), a.gridWidth()));
        out.put("class_token", RawTensor.ofFloats(a.toClassToken(), a.heads()));
        return out;
    }

    /** {@code components} (c, gh, gw) unscaled, {@code foreground} (gh, gw), and the pooled fit's variances (c). */
    public static Map<String, RawTensor> of(PcaMaps m) {
        int c = m.components().length;
        Map<String, RawTensor> out = new LinkedHashMap<>();
        out.put("components", RawTensor.ofFloats(concat(m.components()), c, m.gridHeight(), m.gridWidth()));
        out.put("foreground", bools(m.foreground(), m.gridHeight(), m.gridWidth()));
        out.put("explained_variance", RawTensor.ofFloats(floats(m.explainedVariance()), c));
        out.put("explained_variance_ratio", RawTensor.ofFloats(floats(m.explainedVarianceRatio()), c));
        return out;
    }

    /**
     * {@code coarse_masks} (heads, gh, gw), {@code objects} (k, gh, gw), {@code labels} (gh, gw; 0 background, object i
     * is i + 1), {@code scores} (k), and {@code boxes} (k, 4): [x0, y0, x1, y1) in pixels of a height × width image,
     * all −1 for an object too small to cover a pixel there.
     */
    public static Map<String, RawTensor> of(ImageSegmentation.Result r, int height, int width) {
        int k = r.objects().size(), gh = r.gridHeight(), gw = r.gridWidth();
        boolean[] objects = new boolean[k * r.patches()];
        float[] scores = new float[k];
        int[] boxes = new int[k * 4];
        for (int i = 0; i < k; i++) {
            System.arraycopy(r.objects().get(i).patches(), 0, objects, i * r.patches(), r.patches());
            scores[i] = (float) r.objects().get(i).score();
            int[] box = PatchGrid.box(r.objectMask(i, height, width), height, width);
            System.arraycopy(box == null ? new int[] {-1, -1, -1, -1} : box, 0, boxes, i * 4, 4);
        }
        Map<String, RawTensor> out = new LinkedHashMap<>();
        out.put("coarse_masks", bools(concat(r.headMasks()), r.headMasks().length, gh, gw));
        out.put("objects", bools(objects, k, gh, gw));
        out.put("labels", ints(r.labels(gh, gw), gh, gw));
        out.put("scores", RawTensor.ofFloats(scores, k));
        out.put("boxes", ints(boxes, k, 4));
        return out;
    }

    /** kind, version, layer and grid ("[gh, gw]", JSON), then the caller's entries (image, model, …). */
    public static Map<String, String> metadata(String kind, OnPatchGrid r, Map<String, String> more) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", kind);
        m.put("version", VERSION);
        m.put("layer", Integer.toString(r.layer()));
        m.put("grid", "[" + r.gridHeight() + ", " + r.gridWidth() + "]");
        m.putAll(more);
        return m;
    }

    /** Atomic, as every safetensors write: a reader never sees half a file. */
    public static void write(Path file, Map<String, RawTensor> arrays, Map<String, String> metadata) {
        Safetensors.write(file, arrays, metadata);
    }

    private static float[] concat(float[][] rows) {
        int n = 0;
        for (float[] r : rows) {
            n += r.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    private static boolean[] concat(boolean[][] rows) {
        int n = 0;
        for (boolean[] r : rows) {
            n += r.length;
        }
        boolean[] out = new boolean[n];
        int at = 0;
        for (boolean[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }

    private static float[] floats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    private static RawTensor bools(boolean[] v, long... shape) {
        byte[] data = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            data[i] = (byte) (v[i] ? 1 : 0);
        }
        return new RawTensor(DType.BOOL, shape, data);
    }

    private static RawTensor ints(int[] v, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(v);
        return new RawTensor(DType.I32, shape, b.array());
    }
}

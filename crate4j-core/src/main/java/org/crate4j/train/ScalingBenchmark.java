package org.crate4j.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.model.Attention;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;

/**
 * How a CRATE layer stack's cost grows with the number of tokens n (the ToST paper's claim, issue
 * 17): one forward and one training step of a batch of one image, with MSSA (its attention matrix
 * materialised as the reference computes it, or libtorch's fused kernel) or with TSSA. Memory is
 * the peak resident set size above the point's starting one (VmHWM after a reset through
 * /proc/self/clear_refs): what the step needs beyond the model itself, native tensors included.
 */
public final class ScalingBenchmark {
    /** The compression steps compared; each is one series. */
    public enum Series {
        /** MSSA computing softmax(U·Uᵀ/√k) as a matrix, as the reference and the paper do: O(n²) memory. */
        MSSA_MATMUL("mssa-matmul", Attention.MSSA, Crate.AttentionKernel.MATMUL),
        /** MSSA through libtorch's fused scaled_dot_product_attention (which need not store the n×n matrix). */
        MSSA_SDPA("mssa-sdpa", Attention.MSSA, Crate.AttentionKernel.SDPA),
        /** TSSA, linear in n. */
        TSSA("tssa", Attention.TSSA, Crate.AttentionKernel.AUTO);

        private final String label;
        private final Attention attention;
        private final Crate.AttentionKernel kernel;

        Series(String label, Attention attention, Crate.AttentionKernel kernel) {
            this.label = label;
            this.attention = attention;
            this.kernel = kernel;
        }

        public String label() { return label; }

        public static Series parse(String label) {
            for (Series s : values()) {
                if (s.label.equalsIgnoreCase(label)) {
                    return s;
                }
            }
            throw new CrateException("unknown scaling series '" + label + "': use mssa-matmul, mssa-sdpa or tssa");
        }
    }

    /**
     * One measured (or failed) point.
     *
     * @param patches       n, the patch tokens (the class token comes on top)
     * @param forwardSec    one forward, no gradients (null when it failed)
     * @param trainSec      one forward, backward and AdamW step (null when it failed)
     * @param forwardPeakMb peak RSS above the start of the forward, MB
     * @param trainPeakMb   peak RSS above the start of the training step (the optimizer's moments included), MB
     * @param status        "ok", or why not: "out of memory", "too slow", "skipped"
     */
    public record Point(String series, long patches, int image, int patch, Double forwardSec, Double trainSec,
            Long forwardPeakMb, Long trainPeakMb, String status) {
        public boolean ok() { return "ok".equals(status); }
    }

    /** The token counts and the image and patch sizes that give them: 224² and 448² at patch 16 and 8, 896² at 8. */
    public static final Map<Long, int[]> DEFAULT_POINTS = points();

    private static Map<Long, int[]> points() {
        Map<Long, int[]> m = new LinkedHashMap<>();
        m.put(196L, new int[] {224, 16});
        m.put(784L, new int[] {448, 16});
        m.put(3136L, new int[] {448, 8});
        m.put(12544L, new int[] {896, 8});
        return m;
    }

    /** {image, patch} for n patches: the table's, else patch 8 on a square image of 8·√n. */
    public static int[] imageFor(long patches) {
        int[] known = DEFAULT_POINTS.get(patches);
        if (known != null) {
            return known;
        }
        long side = Math.round(Math.sqrt(patches));
        if (side * side != patches || side < 1) {
            throw new CrateException("--tokens " + patches + " is not a square number of patches (196, 784, 3136, 12544, …)");
        }
        return new int[] {(int) side * 8, 8};
    }

    private ScalingBenchmark() {}

    /** The model of one point: {@code base}'s width, depth and heads at {@code image}² and patch {@code patch}. */
    public static CrateConfig config(CrateConfig base, Series series, int image, int patch) {
        return CrateConfig.of(image, patch, base.channels(), base.numClasses(), base.dim(), base.depth(), base.heads())
                .withAttention(series.attention);
    }

    /**
     * Measures one point in this process: first, untimed, one forward and one training step, at
     * full size with {@code warmup}, else one training step on a 4 × 4-patch image (warm-up
     * matters at small n; at large n a full one would only double the cost). Either way AdamW's
     * moments exist before the timed steps, so the memory measured is the step's own.
     */
    public static Point measure(CrateConfig base, Series series, int image, int patch, boolean warmup) {
        Torch.seed(0);
        CrateConfig c = config(base, series, image, patch);
        Crate model = Crate.create(c, Device.CPU).attentionKernel(series.kernel);
        AdamW adamw = new AdamW(model.parameters().asMap(), 0.05, 0.9, 0.999, 1e-8);
        Tensor images = Torch.rand(Device.CPU, 1, c.channels(), image, image);
        Tensor labels = Torch.randint(Device.CPU, c.numClasses(), 1);
        images.retainReference();
        labels.retainReference();
        if (warmup) {
            forward(model, images);
            trainStep(model, adamw, images, labels);
        } else { // a small image (resized positions) still warms the kernels and allocates AdamW's moments
            Tensor small = Torch.rand(Device.CPU, 1, c.channels(), 4L * patch, 4L * patch);
            trainStep(model, adamw, small, labels);
        }
        long[] f = timed(() -> forward(model, images));
        long[] t = timed(() -> trainStep(model, adamw, images, labels));
        return new Point(series.label(), c.numPatches(), image, patch, f[0] / 1e9, t[0] / 1e9, f[1], t[1], "ok");
    }

    /** {nanoseconds, peak RSS above the start in MB}. */
    private static long[] timed(Runnable step) {
        long before = MemoryStats.rssMb();
        MemoryStats.resetPeak();
        long t0 = System.nanoTime();
        step.run();
        long nanos = System.nanoTime() - t0;
        return new long[] {nanos, Math.max(0, MemoryStats.peakRssMb() - before)};
    }

    private static void forward(Crate model, Tensor images) {
        model.train(false);
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            model.forward(images).sum().item_double();
        }
    }

    private static void trainStep(Crate model, AdamW adamw, Tensor images, Tensor labels) {
        model.train(true);
        try (PointerScope scope = new PointerScope()) {
            adamw.zeroGrad();
            Tensor loss = Losses.crossEntropy(model.forward(images), labels, 0);
            loss.backward();
            adamw.step(1e-4);
            loss.item_double();
        }
    }

    /** The first n of a series that failed, or -1: where its wall is. */
    public static long wall(List<Point> points, String series) {
        return points.stream().filter(p -> p.series().equals(series) && !p.ok() && !p.status().startsWith("skipped"))
                .mapToLong(Point::patches).min().orElse(-1);
    }
}

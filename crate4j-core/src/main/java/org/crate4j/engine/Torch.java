package org.crate4j.engine;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Process-wide libtorch set-up and the few tensor conversions the rest of the code needs. */
public final class Torch {
    private Torch() {}

    /**
     * Loads the natives (safely, see {@link Natives}); idempotent. OpenBLAS is kept to one thread:
     * libtorch already parallelises around its GEMMs with OpenMP, and two thread pools on the same
     * cores fight (measured on 2 cores, crate-tiny batch 32 train step: 3.6 img/s with OpenBLAS
     * threads, 5.3 without). Set CRATE4J_BLAS_THREADS to override.
     */
    public static void init() {
        if (!Natives.isLoaded()) {
            Natives.load();
            String blas = System.getenv("CRATE4J_BLAS_THREADS");
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(blas == null ? 1 : Integer.parseInt(blas));
        }
    }

    /** Intra-op threads; 0 or less means all available cores. */
    public static int setThreads(int threads) {
        init();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        torch.set_num_threads(n);
        return torch.get_num_threads();
    }

    public static int threads() {
        init();
        return torch.get_num_threads();
    }

    public static void seed(long seed) {
        init();
        torch.manual_seed(seed);
    }

    /** A new fp32 CPU tensor holding a copy of {@code values}. */
    public static Tensor fromFloats(float[] values, long... shape) {
        init();
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " values, got " + values.length);
        }
        return Tensor.create(values, shape);
    }

    /** A copy of the tensor's values as fp32, row-major, whatever its dtype, layout or device. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(torch.ScalarType.Float).cpu().contiguous();
        float[] out = new float[(int) c.numel()];
        FloatPointer p = c.data_ptr_float();
        p.get(out);
        return out;
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) {
            s[i] = t.size(i);
        }
        return s;
    }
}

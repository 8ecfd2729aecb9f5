package org.crate4j.engine;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.crate4j.CrateException;

/**
 * Process-wide libtorch set-up, the tensor factories (each on a named device) and the few
 * conversions the rest of the code needs.
 */
public final class Torch {
    private Torch() {}

    /**
     * Loads the natives (safely, see {@link Natives}); idempotent. OpenBLAS is kept to one thread:
     * libtorch already parallelises around its GEMMs with OpenMP, and two thread pools on the same
     * cores fight (measured on 2 cores, crate-tiny batch 32 train step: 3.6 img/s with OpenBLAS
     * threads, 5.3 without). Set CRATE4J_BLAS_THREADS (a positive count) to override. A bad value of
     * it or of CRATE4J_THREAD_SHARDS fails here, in one line, before the natives load.
     */
    public static void init() {
        if (!Natives.isLoaded()) {
            int blas = positive("CRATE4J_BLAS_THREADS", System.getenv("CRATE4J_BLAS_THREADS"), 1);
            ThreadShards.enabled(); // a bad CRATE4J_THREAD_SHARDS is reported now, before any work
            Natives.load();
            blasThreads = blas;
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(blasThreads);
            ThreadShards.threads(torch.get_num_threads());
        }
    }

    private static int blasThreads = 1;

    /** An environment variable's positive count; {@code fallback} when unset; anything else fails in one line. */
    static int positive(String name, String value, int fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new CrateException(name + " must be a positive integer, got '" + value + "'");
    }

    /** OpenBLAS's own threads outside {@link #withBlasThreads} (1 unless CRATE4J_BLAS_THREADS says otherwise). */
    static int blasThreads() {
        return blasThreads;
    }

    /**
     * Runs {@code body} with OpenBLAS's own pool at {@code threads}, then puts it back: a lone GEMM
     * (the peak measurement) should use every thread it is given, which OpenBLAS at one thread
     * does not (libtorch hands a whole matmul to one BLAS call).
     */
    public static <T> T withBlasThreads(int threads, java.util.function.Supplier<T> body) {
        init();
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
        try {
            return body.get();
        } finally {
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(blasThreads);
        }
    }

    /**
     * Whether libtorch's own warnings reach stderr (on by default). They are C++ log lines, not
     * exceptions: c10d, for one, logs a failed store call with its whole native stack, dozens of
     * frame lines, before throwing the error we report in one line. Off, libtorch prints only its
     * errors. Set through c10's flag parser, the one way in to its log level from outside C++.
     */
    public static void nativeWarnings(boolean on) {
        init();
        try (PointerPointer<BytePointer> argv = new PointerPointer<>("crate4j", "--caffe2_log_level=" + (on ? 1 : 2), null)) {
            if (!torch.ParseCommandLineFlags(new int[] {2}, argv)) { // the binding passes argv's address, as C's char***
                throw new IllegalStateException("libtorch refused its log-level flag");
            }
        }
        torch.UpdateLoggingLevelsFromFlags();
    }

    /** Intra-op threads; 0 or less means all available cores. */
    public static int setThreads(int threads) {
        init();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        torch.set_num_threads(n);
        ThreadShards.threads(n);
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

    // ---------------------------------------------------------------- factories
    // Every tensor the main code creates is made here, on a device the caller names: a libtorch
    // factory without a device silently makes a CPU tensor, which a GPU run only discovers at its
    // first mixed operation. DevicePlacementTest fails the build on a factory called elsewhere.

    /** fp32 tensors on {@code device}. */
    public static TensorOptions options(Device device) {
        return options(device, ScalarType.Float);
    }

    public static TensorOptions options(Device device, ScalarType dtype) {
        return new TensorOptions(dtype).device(new DeviceOptional(device.toTorch()));
    }

    public static Tensor zeros(Device device, long... shape) {
        return torch.zeros(shape, options(device));
    }

    public static Tensor ones(Device device, long... shape) {
        return torch.ones(shape, options(device));
    }

    /** Uninitialised fp32 memory, for an in-place fill ({@code uniform_}, {@code normal_}). */
    public static Tensor empty(Device device, long... shape) {
        return torch.empty(shape, options(device), new MemoryFormatOptional());
    }

    /** N(0, 1), drawn from {@code device}'s generator. */
    public static Tensor randn(Device device, long... shape) {
        return torch.randn(shape, options(device));
    }

    /** U[0, 1), drawn from {@code device}'s generator. */
    public static Tensor rand(Device device, long... shape) {
        return torch.rand(shape, options(device));
    }

    /** Integers uniform in [0, high) as int64, drawn from {@code device}'s generator. */
    public static Tensor randint(Device device, long high, long... shape) {
        return torch.randint(high, shape, options(device, ScalarType.Long));
    }

    /** The n×n identity. */
    public static Tensor eye(Device device, ScalarType dtype, long n) {
        return torch.eye(n, options(device, dtype));
    }

    /** A copy of {@code values} as an fp32 tensor on {@code device} (staged through host memory). */
    public static Tensor floats(Device device, float[] values, long... shape) {
        init();
        check(values.length, shape);
        return onDevice(Tensor.create(values, shape), device);
    }

    /** A copy of {@code values} as an fp64 tensor on {@code device}. */
    public static Tensor doubles(Device device, double[] values, long... shape) {
        init();
        check(values.length, shape);
        return onDevice(Tensor.create(values, shape), device);
    }

    /** A copy of {@code values} as a 1-D int64 tensor on {@code device} (labels, indices). */
    public static Tensor longs(Device device, long[] values) {
        init();
        return onDevice(Tensor.create(values, values.length), device);
    }

    /** As {@link #longs(Device, long[])}, widening each value. */
    public static Tensor longs(Device device, int[] values) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = values[i];
        }
        return longs(device, l);
    }

    /**
     * A CPU fp32 tensor holding a copy of {@code values}: a shortcut for tests. Main code says
     * where a tensor goes, with {@link #floats(Device, float[], long...)} (DevicePlacementTest).
     */
    public static Tensor fromFloats(float[] values, long... shape) {
        return floats(Device.CPU, values, shape);
    }

    /** {@code t} on {@code device}, dtype kept; {@code t} itself when it is already there. */
    public static Tensor onDevice(Tensor t, Device device) {
        return device.equals(Device.of(t)) ? t : t.to(device.toTorch(), t.scalar_type());
    }

    private static void check(int length, long[] shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != length) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " needs " + n
                    + " values, got " + length);
        }
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

package org.crate4j.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Numeric precision of a run. Weights always stay fp32 (the master copy); {@code BF16} and
 * {@code FP16} run the matmul-heavy ops under libtorch's autocast to bfloat16 or float16.
 */
public enum Precision {
    FP32,
    BF16,
    /**
     * Autocast to float16, for GPUs without bf16: fp16's narrow range makes small gradients
     * underflow, so training scales the loss ({@code train.LossScaler}).
     */
    FP16;

    /**
     * Parses {@code fp32}, {@code bf16}, {@code fp16} or {@code auto}; see {@link #auto} for the
     * last. On an AVX2-only CPU libtorch's bf16 GEMM is hundreds of times slower than fp32
     * (measured on this project's 2-core EPYC: 0.3 vs 114 GFLOP/s), hence fp32 there.
     */
    public static Precision parse(String name, Device device) {
        switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32": case "float32": case "f32": return FP32;
            case "bf16": case "bfloat16": return BF16;
            case "fp16": case "float16": case "half": return FP16;
            case "auto":
                return auto(device.isCuda(), device.isCuda() && CudaProperties.major(device) >= 8, !device.isCuda() && cpuHasFastBf16());
            default:
                throw new org.crate4j.CrateException("unknown precision '" + name + "': use fp32, bf16, fp16 or auto");
        }
    }

    /**
     * {@code auto}'s rule: bf16 on CUDA devices that have it (compute capability 8.0 on, as
     * {@code torch.cuda.is_bf16_supported}) and on CPUs with native bf16 matmul (AMX or
     * AVX512-BF16); fp16 with loss scaling on older CUDA devices; fp32 on other CPUs.
     */
    static Precision auto(boolean cuda, boolean cudaHasBf16, boolean cpuHasFastBf16) {
        if (cuda) {
            return cudaHasBf16 ? BF16 : FP16;
        }
        return cpuHasFastBf16 ? BF16 : FP32;
    }

    /** Whether training under this precision needs a dynamic loss scale (fp16's underflow). */
    public boolean scalesLoss() {
        return this == FP16;
    }

    public static boolean cpuHasFastBf16() {
        try {
            String info = Files.readString(Path.of("/proc/cpuinfo"));
            return info.contains(" amx_bf16") || info.contains(" avx512_bf16");
        } catch (Exception e) {
            return false;
        }
    }

    /** Enters autocast for this precision on the device; close to leave it. FP32 is a no-op. */
    public Scope enter(Device device) {
        if (this == FP32) {
            return () -> {};
        }
        DeviceType type = device.isCuda() ? DeviceType.CUDA : DeviceType.CPU;
        boolean before = torch.is_autocast_enabled(type);
        ScalarType dtypeBefore = torch.get_autocast_dtype(type);
        torch.set_autocast_dtype(type, this == BF16 ? ScalarType.BFloat16 : ScalarType.Half);
        torch.set_autocast_enabled(type, true);
        return () -> {
            torch.set_autocast_enabled(type, before);
            torch.set_autocast_dtype(type, dtypeBefore);
            if (!before) {
                torch.clear_cache();
            }
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** An autocast region; closing it restores the previous state. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}

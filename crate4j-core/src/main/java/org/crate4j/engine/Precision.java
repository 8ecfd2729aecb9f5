package org.crate4j.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Numeric precision of a run. Weights always stay fp32 (the master copy); {@code BF16} runs the
 * matmul-heavy ops under libtorch's autocast to bfloat16.
 */
public enum Precision {
    FP32,
    BF16;

    /**
     * Parses {@code fp32}, {@code bf16} or {@code auto}. {@code auto} picks bf16 only where the
     * CPU has native bf16 matmul (AMX or AVX512-BF16) or the device is a GPU: on an AVX2-only CPU
     * libtorch's bf16 GEMM is hundreds of times slower than fp32 (measured on this project's
     * 2-core EPYC: 0.3 vs 114 GFLOP/s).
     */
    public static Precision parse(String name, Device device) {
        switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "fp32": case "float32": case "f32": return FP32;
            case "bf16": case "bfloat16": return BF16;
            case "auto": return device.isCuda() || cpuHasFastBf16() ? BF16 : FP32;
            default:
                throw new org.crate4j.CrateException("unknown precision '" + name + "': use fp32, bf16 or auto");
        }
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
        torch.set_autocast_dtype(type, ScalarType.BFloat16);
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

package org.crate4j.engine;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.crate4j.io.AtomicFiles;

/**
 * This machine's GEMM peak, the yardstick of model-FLOPs utilisation (nanoGPT's {@code
 * estimate_mfu}, but measured here rather than taken from a data sheet): the median GFLOP/s of an
 * n×n by n×n matmul (2n³ FLOPs) at the run's precision, device and threads. n grows from 512 to
 * 2048 while one product takes under half a second, so a precision without fast kernels (bf16 on
 * an AVX2 CPU runs at about 0.3 GFLOP/s) is measured in seconds, not minutes. Results are cached
 * per CPU model, device, precision and threads in {@code ~/.crate4j/gemm-peak.json}.
 */
public final class GemmPeak {
    /** One measurement. */
    public record Peak(double gflops, int n, String precision, String device, int threads, String cpu, boolean cached) {}

    private GemmPeak() {}

    /** The cached peak for this setting, or a new measurement (always, when {@code remeasure}). */
    public static Peak of(Device device, Precision precision, boolean remeasure) {
        // "all-threads": measured with OpenBLAS on every thread (entries without it saw one core)
        String key = Machine.cpuModel() + "|" + device + "|" + precision + "|" + Torch.threads() + "|all-threads";
        Path cache = Path.of(System.getProperty("user.home"), ".crate4j", "gemm-peak.json");
        JsonObject all = read(cache);
        if (!remeasure && all.has(key)) {
            Peak p = new Gson().fromJson(all.get(key), Peak.class);
            return new Peak(p.gflops(), p.n(), p.precision(), p.device(), p.threads(), p.cpu(), true);
        }
        Peak p = measure(device, precision);
        all.add(key, new Gson().toJsonTree(p));
        try {
            Path tmp = AtomicFiles.temporaryFor(cache);
            Files.writeString(tmp, new Gson().toJson(all));
            AtomicFiles.commit(tmp, cache);
        } catch (Exception e) {
            // a cache we cannot write only costs a re-measurement next time
        }
        return p;
    }

    static Peak measure(Device device, Precision precision) {
        return device.isCuda() ? measureHere(device, precision) : Torch.withBlasThreads(Torch.threads(), () -> measureHere(device, precision));
    }

    private static Peak measureHere(Device device, Precision precision) {
        ScalarType dtype = switch (precision) {
            case BF16 -> ScalarType.BFloat16;
            case FP16 -> ScalarType.Half;
            default -> ScalarType.Float;
        };
        double best = 0;
        int used = 0;
        for (int n = 512; n <= 2048; n *= 2) {
            double seconds = medianSeconds(device, dtype, n);
            best = 2.0 * n * n * n / seconds / 1e9;
            used = n;
            if (seconds > 0.5) {
                break;
            }
        }
        return new Peak(Math.round(best * 10) / 10.0, used, precision.toString(), device.toString(), Torch.threads(), Machine.cpuModel(), false);
    }

    private static double medianSeconds(Device device, ScalarType dtype, int n) {
        List<Double> times = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor a = Torch.randn(device, n, n).to(dtype), b = Torch.randn(device, n, n).to(dtype);
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                torch.matmul(a, b).sum().item_double(); // item() waits for the product on any device
                if (i >= 1) {
                    times.add((System.nanoTime() - t0) / 1e9);
                }
                if (i >= 1 && times.get(times.size() - 1) > 2) {
                    break; // slow kernels: one timed product is enough
                }
            }
        }
        Collections.sort(times);
        return times.get(times.size() / 2);
    }

    private static JsonObject read(Path cache) {
        try {
            return new Gson().fromJson(Files.readString(cache), JsonObject.class);
        } catch (Exception e) {
            return new JsonObject();
        }
    }

}

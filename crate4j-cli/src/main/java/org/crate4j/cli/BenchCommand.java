package org.crate4j.cli;

import com.google.gson.Gson;
import java.util.concurrent.Callable;
import org.crate4j.dist.DataParallel;
import org.crate4j.dist.DistEnv;
import org.crate4j.engine.Device;
import org.crate4j.engine.GemmPeak;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.Presets;
import org.crate4j.train.Benchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Forward and train-step images/s (medians after warm-up) and peak memory, as one JSON line.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "crate-tiny", description = "preset (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--batch", defaultValue = "32", description = "batch size per process (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--steps", defaultValue = "5", description = "timed steps per mode (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--forward-only", description = "skip the train step")
    boolean forwardOnly;

    @Option(names = "--attention", defaultValue = "auto", description = "attention kernel: auto, matmul or sdpa")
    String attention;

    @Option(names = "--peak", description = "measure this machine's GEMM peak again instead of using the cached value")
    boolean remeasurePeak;

    @Mixin
    ArchitectureOptions arch;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        runtime.apply();
        CrateConfig preset = Presets.get(model);
        CrateConfig c = arch.apply(preset, preset.imageHeight());
        DistEnv env = DistEnv.fromEnvironment();
        Device device = DataParallel.deviceFor(env, runtime.device());
        return DataParallel.run(env, device, System.err, sync -> {
            Benchmark.Result r = Benchmark.run(model, c, batch, steps, warmup, runtime.precision(), device, forwardOnly,
                    org.crate4j.model.Crate.AttentionKernel.valueOf(attention.toUpperCase()), sync);
            if (sync.rank() == 0) {
                // model-FLOPs utilisation against this machine's measured GEMM peak (per process, times processes)
                GemmPeak.Peak peak = GemmPeak.of(device, runtime.precision(), remeasurePeak);
                double jobPeak = peak.gflops() * sync.worldSize();
                System.out.println(Utilisation.line(r, peak, jobPeak));
                System.out.println(new Gson().toJson(Utilisation.json(r, peak, jobPeak)));
            }
            return 0;
        });
    }
}

package org.crate4j.cli;

import com.google.gson.Gson;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.dist.DataParallel;
import org.crate4j.dist.DistEnv;
import org.crate4j.engine.Device;
import org.crate4j.engine.GemmPeak;
import org.crate4j.model.Crate;
import org.crate4j.model.CrateConfig;
import org.crate4j.model.Presets;
import org.crate4j.train.Benchmark;
import org.crate4j.train.StepProfile;
import org.crate4j.viz.AtomicWrite;
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

    @Option(names = "--attention", defaultValue = "auto", description = "MSSA's kernel: auto, matmul or sdpa; or tssa (the compression "
            + "step TSSA in place of MSSA)")
    String attention;

    @Option(names = "--peak", description = "measure this machine's GEMM peak again instead of using the cached value")
    boolean remeasurePeak;

    @Option(names = "--profile", description = "instead: break the bench's steps into GEMMs, attention, LayerNorm, element-wise, copies, "
            + "optimizer and other, inference and the train step's forward, backward and update separately (means of --steps after "
            + "--warmup); prints a table and writes --profile-out. The profiled steps run whole, not split into one shard of rows "
            + "per thread as the timed ones are (the marks time one thread's work)")
    boolean profile;

    @Option(names = "--profile-out", defaultValue = "out/profile/profile.json", description = "with --profile: the JSON file "
            + "(default: ${DEFAULT-VALUE})")
    Path profileOut;

    @Option(names = "--scaling", description = "instead: time one forward and one training step (batch 1) of the model (default "
            + "crate-tiny: width 384, 12 layers) with MSSA and with TSSA at each of --tokens, each point in a process of its own "
            + "under --time-limit and --memory-limit; writes --out (JSON) and a log-log PNG beside it")
    boolean scaling;

    @Option(names = "--tokens", split = ",", defaultValue = "196,784,3136,12544",
            description = "with --scaling: patch-token counts n (224^2 and 448^2 at patch 16 and 8, 896^2 at patch 8; others: patch 8 "
                    + "on a square image) (default: ${DEFAULT-VALUE})")
    List<Long> tokens;

    @Option(names = "--series", split = ",", defaultValue = "mssa-matmul,mssa-sdpa,tssa",
            description = "with --scaling: mssa-matmul (the n x n attention matrix as the reference computes it), mssa-sdpa "
                    + "(libtorch's fused attention kernel), tssa (default: ${DEFAULT-VALUE})")
    List<String> series;

    @Option(names = "--time-limit", defaultValue = "600", description = "with --scaling: seconds per point before it is stopped as too slow "
            + "(default: ${DEFAULT-VALUE})")
    double timeLimit;

    @Option(names = "--memory-limit", defaultValue = "16", description = "with --scaling: GiB of address space per point's process "
            + "(RLIMIT_AS); past it an allocation fails and the point is recorded as out of memory (default: ${DEFAULT-VALUE})")
    double memoryLimit;

    @Option(names = "--out", defaultValue = "out/scaling/scaling.json", description = "with --scaling: the JSON file; the PNG goes beside it "
            + "(default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--scaling-point", hidden = true, description = "SERIES:N, one point, printed as JSON (what --scaling runs per process)")
    String scalingPoint;

    @Mixin
    ArchitectureOptions arch;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() {
        runtime.apply();
        if (scalingPoint != null) {
            return ScalingSweep.measurePoint(arch.apply(Presets.get(model), Presets.get(model).imageHeight()), scalingPoint);
        }
        if (scaling) {
            return ScalingReport.run(arch.apply(Presets.get(model), Presets.get(model).imageHeight()), series, tokens, timeLimit,
                    memoryLimit, out);
        }
        CrateConfig preset = Presets.get(model);
        boolean tssa = attention.equalsIgnoreCase("tssa");
        CrateConfig c = tssa ? arch.apply(preset, preset.imageHeight()).withAttention(org.crate4j.model.Attention.TSSA)
                : arch.apply(preset, preset.imageHeight());
        Crate.AttentionKernel kernel = Crate.AttentionKernel.valueOf(tssa ? "AUTO" : attention.toUpperCase(Locale.ROOT));
        DistEnv env = DistEnv.fromEnvironment();
        if (profile) {
            return profile(c, kernel, env);
        }
        Device device = DataParallel.deviceFor(env, runtime.device());
        return DataParallel.run(env, device, System.err, sync -> {
            Benchmark.Result r = Benchmark.run(model, c, batch, steps, warmup, runtime.precision(), device, forwardOnly, kernel, sync);
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

    private int profile(CrateConfig c, Crate.AttentionKernel kernel, DistEnv env) {
        if (env.worldSize() > 1) {
            throw new CrateException("--profile runs in one process; launch it without data parallelism");
        }
        StepProfile.Result r = StepProfile.run(model, c, batch, steps, warmup, runtime.precision(), runtime.device().require(), kernel);
        System.out.print(ProfileReport.table(r));
        if (org.crate4j.engine.ThreadShards.count(runtime.device(), batch) > 1) {
            System.out.println("(profiled whole: the timed bench splits each batch into one shard of rows per thread, see docs/performance.md)");
        }
        AtomicWrite.text(Json.GSON.toJson(ProfileReport.json(r)) + "\n", profileOut);
        System.out.println("wrote " + profileOut);
        return 0;
    }
}

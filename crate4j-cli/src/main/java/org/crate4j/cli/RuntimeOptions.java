package org.crate4j.cli;

import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import picocli.CommandLine.Option;

/** Options every compute command shares: device, precision, threads, verbosity. */
public final class RuntimeOptions {
    @Option(names = "--device", defaultValue = "cpu",
            description = "cpu, cuda or cuda:N: where the model and every tensor of the run live (cuda needs the CUDA natives, README GPUs; default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32; bf16 or fp16 (autocast, fp32 master weights; fp16 trains with a dynamic loss scale); or auto "
                    + "(bf16 on CUDA devices and CPUs with fast bf16, fp16 on older CUDA devices, else fp32). Default: ${DEFAULT-VALUE}")
    String precision;

    @Option(names = "--threads", defaultValue = "0", description = "intra-op threads (default: all cores)")
    int threads;

    @Option(names = "--verbose", description = "show stack traces on errors, and libtorch's own warnings")
    boolean verbose;

    Device device() {
        return Device.parse(device);
    }

    Precision precision() {
        return Precision.parse(precision, device());
    }

    /**
     * Checks the device (one line and exit 2 when CUDA is asked for but not there, before the
     * command reads or writes anything), applies threads and the native log level (libtorch's
     * warnings only with --verbose) and returns a one-line description for the command's output.
     */
    String apply() {
        device().require();
        Torch.nativeWarnings(verbose); // e.g. c10d's native stack dumps when a data-parallel peer dies
        int n = Torch.setThreads(threads);
        return "device " + device() + ", precision " + precision() + ", threads " + n;
    }
}

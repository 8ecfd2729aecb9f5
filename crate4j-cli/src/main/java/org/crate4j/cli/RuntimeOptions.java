package org.crate4j.cli;

import org.crate4j.engine.Device;
import org.crate4j.engine.Precision;
import org.crate4j.engine.Torch;
import picocli.CommandLine.Option;

/** Options every compute command shares: device, precision, threads, verbosity. */
public final class RuntimeOptions {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--precision", defaultValue = "fp32",
            description = "fp32, bf16 (autocast; fp32 master weights) or auto (bf16 where the hardware has fast bf16). Default: ${DEFAULT-VALUE}")
    String precision;

    @Option(names = "--threads", defaultValue = "0", description = "intra-op threads (default: all cores)")
    int threads;

    @Option(names = "--verbose", description = "show stack traces on errors")
    boolean verbose;

    Device device() {
        return Device.parse(device);
    }

    Precision precision() {
        return Precision.parse(precision, device());
    }

    /** Applies threads and returns a one-line description for the command's output. */
    String apply() {
        int n = Torch.setThreads(threads);
        return "device " + device() + ", precision " + precision() + ", threads " + n;
    }
}

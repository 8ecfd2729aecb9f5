package org.crate4j.engine;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.CrateException;

/**
 * Where tensors live: {@code cpu}, {@code cuda} or {@code cuda:N}. A model holds one (see
 * {@code Crate.device()}); loops ask the model, never a flag passed beside it.
 */
public record Device(String spec) {
    /** What the README's GPU section says to install; named in every "no CUDA" message. */
    public static final String CUDA_NATIVES = "org.bytedeco:pytorch:2.10.0-1.5.13:linux-x86_64-gpu with CUDA 13.1 "
            + "(CRATE4J_GPU=1 ./crate ..., or mvn -Pgpu; README, GPUs)";

    public Device {
        if (!spec.equals("cpu") && !spec.matches("cuda(:\\d+)?")) {
            throw new CrateException("unknown device '" + spec + "': use cpu, cuda or cuda:N");
        }
    }

    public static final Device CPU = new Device("cpu");

    /** Devices {@link #require()} has accepted (it runs before every transfer; the checks need not). */
    private static final Set<String> USABLE = ConcurrentHashMap.newKeySet();

    public static Device parse(String spec) {
        return new Device(spec.trim().toLowerCase(Locale.ROOT));
    }

    /** The device a tensor is on (CUDA tensors always name their index). */
    public static Device of(Tensor t) {
        return t.is_cuda() ? new Device("cuda:" + t.device().index()) : CPU;
    }

    public boolean isCuda() {
        return spec.startsWith("cuda");
    }

    /** The CUDA index ({@code cuda} is 0, libtorch's current device), or -1 for the CPU. */
    public int index() {
        return !isCuda() ? -1 : spec.equals("cuda") ? 0 : Integer.parseInt(spec.substring(5));
    }

    /**
     * Fails with one line unless this device can be used in this process: the CPU always can; CUDA
     * needs libtorch's CUDA natives and a GPU at this index. Commands call it before they read or
     * write anything, so a GPU run without a GPU ends before it starts.
     */
    public Device require() {
        if (!isCuda() || USABLE.contains(spec)) {
            return this;
        }
        Torch.init();
        if (!Natives.isCudaBuild()) {
            throw new CrateException("--device " + spec + ": these are libtorch's CPU natives; install the CUDA build, "
                    + CUDA_NATIVES + ", or use --device cpu");
        }
        int count = torch.cuda_is_available() ? torch.cuda_device_count() : 0;
        if (count == 0) {
            throw new CrateException("--device " + spec + ": the CUDA natives are loaded but no CUDA device was found "
                    + "(no GPU visible, or no NVIDIA driver for CUDA 13.1): use --device cpu");
        }
        if (index() >= count) {
            throw new CrateException("--device " + spec + ": this machine has " + count + " CUDA device" + (count == 1 ? "" : "s")
                    + " (cuda:0 to cuda:" + (count - 1) + ")");
        }
        USABLE.add(spec);
        return this;
    }

    /** The libtorch device, after {@link #require()}. */
    public org.bytedeco.pytorch.Device toTorch() {
        require();
        return new org.bytedeco.pytorch.Device(spec);
    }

    @Override
    public String toString() {
        return spec;
    }
}

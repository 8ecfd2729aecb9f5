package org.crate4j.engine;

import org.crate4j.CrateException;

/** Where tensors live: {@code cpu}, {@code cuda} or {@code cuda:N}. Always from configuration. */
public record Device(String spec) {
    public Device {
        if (!spec.equals("cpu") && !spec.matches("cuda(:\\d+)?")) {
            throw new CrateException("unknown device '" + spec + "': use cpu, cuda or cuda:N");
        }
    }

    public static final Device CPU = new Device("cpu");

    public static Device parse(String spec) {
        return new Device(spec.trim().toLowerCase(java.util.Locale.ROOT));
    }

    public boolean isCuda() {
        return spec.startsWith("cuda");
    }

    /** The libtorch device; fails clearly when CUDA is asked for but the CPU natives are loaded. */
    public org.bytedeco.pytorch.Device toTorch() {
        Torch.init();
        if (isCuda() && !org.bytedeco.pytorch.global.torch.cuda_is_available()) {
            throw new CrateException("device " + spec + " requested but CUDA is not available: "
                    + "use the linux-x86_64-gpu natives (see README, 'GPU') or --device cpu");
        }
        return new org.bytedeco.pytorch.Device(spec);
    }

    @Override
    public String toString() {
        return spec;
    }
}

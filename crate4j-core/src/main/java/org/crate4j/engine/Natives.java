package org.crate4j.engine;

import java.io.IOException;
import org.bytedeco.javacpp.Loader;

/**
 * Loads libtorch's natives so that only the bundled copies can ever be linked.
 *
 * <p>Why: JavaCPP extracts the bundled libraries into {@code ~/.javacpp/cache} one at a time, in
 * load order. The tiny bundled {@code libtorch.so} is loaded before {@code libtorch_cpu.so} has
 * been extracted beside it, so on a first run the dynamic linker resolves its dependency through
 * the system paths. With Debian's {@code python3-torch} installed that finds libtorch 1.13's
 * {@code libtorch_cpu.so}, two libtorch versions meet in one process and the JVM dies with
 * SIGSEGV. Extracting every bundled library before the first torch class is touched makes
 * {@code $ORIGIN} resolution find the bundled 2.10 copies, on the first run as on later ones.
 */
public final class Natives {
    private static volatile boolean loaded;

    private Natives() {}

    public static boolean isLoaded() {
        return loaded;
    }

    /** Whether libtorch's CUDA build ({@code <platform>-gpu} classifier) is on the class path. */
    public static boolean isCudaBuild() {
        return Natives.class.getResource("/org/bytedeco/pytorch/" + Loader.getPlatform() + "-gpu/") != null;
    }

    /** Idempotent; call before touching any {@code org.bytedeco.pytorch} class. */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String platform = Loader.getPlatform();
        for (String lib : new String[] {"openblas", "pytorch"}) {
            for (String suffix : new String[] {"", "-gpu"}) {
                try {
                    Loader.cacheResources("/org/bytedeco/" + lib + "/" + platform + suffix + "/");
                } catch (IOException e) {
                    throw new IllegalStateException("cannot extract the bundled " + lib + " natives: " + e.getMessage(), e);
                }
            }
        }
        try {
            Loader.load(org.bytedeco.pytorch.global.torch.class);
        } catch (UnsatisfiedLinkError e) {
            if (!isCudaBuild()) {
                throw e;
            }
            // the CUDA build links CUDA's own libraries, which JavaCPP takes from the system
            throw new org.crate4j.CrateException("libtorch's CUDA natives could not be loaded (" + firstLine(e)
                    + "): install CUDA 13.1 with cuDNN 9 and NCCL (README, GPUs), or use the CPU build (no -Pgpu, no CRATE4J_GPU=1)");
        }
        loaded = true;
    }

    private static String firstLine(Throwable e) {
        return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString());
    }
}

package org.crate4j.engine;

import org.crate4j.CrateException;

/**
 * What libtorch knows of a CUDA device that the precision choice needs. The device-properties
 * struct is a class of the CUDA presets ({@code org.bytedeco:cuda}), which only the GPU build
 * brings (README, GPUs), so it is reached by name here and this library compiles without it.
 */
final class CudaProperties {
    private CudaProperties() {}

    /** The compute capability's major number (8 = Ampere, the first with bf16 tensor cores). */
    static int major(Device device) {
        device.require();
        try {
            Class<?> cuda = Class.forName("org.bytedeco.pytorch.global.torch_cuda");
            Object props = cuda.getMethod("getDeviceProperties", byte.class).invoke(null, (byte) device.index());
            return (Integer) props.getClass().getMethod("major").invoke(props);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new CrateException("--precision auto on " + device + ": the CUDA device properties cannot be read (" + e
                    + "): give --precision bf16 or fp16");
        }
    }
}

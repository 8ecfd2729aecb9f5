package org.crate4j.dist;

import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.GlooDeviceVector;
import org.bytedeco.pytorch.PrefixStore;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Store;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;

/** The c10d backend for a device: Gloo for CPU tensors, NCCL for CUDA tensors. */
final class Backends {
    private Backends() {}

    static Backend create(Store store, DistEnv env, Device device) {
        return device.isCuda() ? nccl(store, env) : gloo(store, env);
    }

    /**
     * Gloo over TCP. Its sockets bind to 127.0.0.1 when the master is on loopback; otherwise to
     * the interface named by GLOO_SOCKET_IFNAME, else to the address this host's name resolves to
     * (torchrun's rule).
     */
    static Backend gloo(Store store, DistEnv env) {
        ProcessGroupGloo.Options o = new ProcessGroupGloo.Options(new Milliseconds(env.timeout().toMillis()));
        String ifname = System.getenv("GLOO_SOCKET_IFNAME");
        org.bytedeco.pytorch.gloo.Device dev;
        if (ifname != null && !ifname.isBlank()) {
            dev = ProcessGroupGloo.createDeviceForInterface(ifname.split(",")[0].trim());
        } else if (env.loopback()) {
            dev = ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
        } else {
            dev = ProcessGroupGloo.createDefaultDevice();
        }
        o.devices(new GlooDeviceVector(dev));
        o.threads(2);
        try {
            return new ProcessGroupGloo(new PrefixStore("gloo", store), env.rank(), env.worldSize(), o);
        } catch (RuntimeException e) {
            throw new CrateException("rank " + env.rank() + ": Gloo could not connect the " + env.worldSize() + " ranks within "
                    + env.timeout().toSeconds() + " s (" + Rendezvous.firstLine(e) + "): on several machines set GLOO_SOCKET_IFNAME "
                    + "to the interface the nodes share");
        }
    }

    /**
     * NCCL for CUDA tensors. Untested: this project's machine has no GPU and the default build ships
     * CPU natives only, where loading the NCCL class fails and the message says what to install.
     */
    static Backend nccl(Store store, DistEnv env) {
        try {
            org.bytedeco.pytorch.nccl.ProcessGroupNCCL.Options o = new org.bytedeco.pytorch.nccl.ProcessGroupNCCL.Options();
            o.timeout(new Milliseconds(env.timeout().toMillis()));
            return new org.bytedeco.pytorch.nccl.ProcessGroupNCCL(new PrefixStore("nccl", store), env.rank(), env.worldSize(), o);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new CrateException("rank " + env.rank() + ": NCCL is not in these natives (" + e.getMessage()
                    + "): install " + Device.CUDA_NATIVES + ", or train with --device cpu (Gloo)");
        }
    }
}

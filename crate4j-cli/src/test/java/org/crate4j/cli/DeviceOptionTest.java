package org.crate4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.crate4j.engine.Natives;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device cuda} without CUDA: every compute command stops with one line naming the
 * natives to install, exit code 2, and writes nothing. Real on this project's machines, whose
 * build carries libtorch's CPU natives only.
 */
class DeviceOptionTest {
    @TempDir
    Path tmp;

    private static final String NO_CUDA = "crate: --device %s: these are libtorch's CPU natives; install the CUDA build, "
            + "org.bytedeco:pytorch:2.10.0-1.5.13:linux-x86_64-gpu with CUDA 13.1 (CRATE4J_GPU=1 ./crate ..., or mvn -Pgpu; "
            + "README, GPUs), or use --device cpu";

    @Test
    void everyComputeCommandRefusesCudaWithoutItsNativesAndWritesNothing() throws Exception {
        assumeFalse(Natives.isCudaBuild(), "this build has the CUDA natives");
        Path weights = tmp.resolve("absent.safetensors"); // never opened: the device is checked first
        Path image = tmp.resolve("absent.png");
        Path data = tmp.resolve("absent-data");
        String w = weights.toString();
        List<String[]> commands = List.of(
                new String[] {"train", "--data", data.toString()},
                new String[] {"train", "--nproc", "2"}, // before any process is launched
                new String[] {"finetune", "--weights", w, "--data", data.toString()},
                new String[] {"eval", "--weights", w, "--data", data.toString()},
                new String[] {"predict", "--weights", w, image.toString()},
                new String[] {"bench", "--model", "crate-fmnist"},
                new String[] {"mae-pretrain", "--data", data.toString()},
                new String[] {"reconstruct", "--weights", w},
                new String[] {"linear-probe", "--weights", w, "--data", data.toString()},
                new String[] {"layerwise", "--weights", w, "--data", data.toString()},
                new String[] {"attention", "--weights", w, image.toString()},
                new String[] {"pca", "--weights", w, image.toString()},
                new String[] {"segment", "--weights", w, image.toString()});
        int i = 0;
        for (String[] command : commands) {
            for (String device : new String[] {"cuda", "cuda:1"}) {
                Path out = tmp.resolve("out-" + i++);
                List<String> args = new ArrayList<>(List.of(command));
                args.addAll(List.of("--device", device));
                if (!List.of("predict", "bench", "linear-probe").contains(command[0])) {
                    args.addAll(List.of("--out", out.toString()));
                }
                CliTest.Run r = CliTest.run(args.toArray(String[]::new));
                assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
                assertEquals(String.format(NO_CUDA, device), r.err().strip(), String.join(" ", args));
                assertFalse(Files.exists(out), String.join(" ", args) + " wrote " + out);
            }
        }
    }

    @Test
    void aDeviceThatIsNeitherCpuNorCudaIsNamedInOneLine() {
        CliTest.Run r = CliTest.run("bench", "--device", "gpu0");
        assertEquals(2, r.code());
        assertEquals("crate: unknown device 'gpu0': use cpu, cuda or cuda:N", r.err().strip());
    }
}

package org.crate4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.crate4j.CrateException;
import org.crate4j.engine.Device;
import org.junit.jupiter.api.Test;

/** Mistakes in starting a job end in one line that names them; everything stays on 127.0.0.1. */
class RendezvousTest {
    static DistEnv env(int rank, int world, int port, long timeoutMs) {
        return new DistEnv(rank, world, rank, world, "127.0.0.1", port, Duration.ofMillis(timeoutMs));
    }

    @Test
    void portInUseIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            CrateException e = assertThrows(CrateException.class, () -> GlooSync.connect(env(0, 2, port, 2000), Device.CPU));
            assertTrue(e.getMessage().contains("port " + port) && e.getMessage().contains("in use"), e.getMessage());
            CrateException l = assertThrows(CrateException.class, () -> Launcher.start(new Launcher.Spec(List.of("java"), List.of(), 2, 1, 0,
                    "127.0.0.1", port, Duration.ofSeconds(1), 1, Duration.ofSeconds(1)), Map.of(), System.out, System.err));
            assertTrue(l.getMessage().contains("--master-port"), l.getMessage());
        }
    }

    @Test
    void unreachableMasterIsNamedAfterTheTimeout() {
        int port = Launcher.freeLoopbackPort(); // nobody listens there
        long t0 = System.nanoTime();
        CrateException e = assertThrows(CrateException.class, () -> GlooSync.connect(env(1, 2, port, 1500), Device.CPU));
        assertTrue(e.getMessage().startsWith("rank 1: cannot reach the master 127.0.0.1:" + port), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "gave up within the timeout and a retry");
    }

    @Test
    void missingWorkerIsNamed() {
        int port = Launcher.freeLoopbackPort();
        CrateException e = assertThrows(CrateException.class, () -> GlooSync.connect(env(0, 2, port, 1500), Device.CPU));
        assertTrue(e.getMessage().contains("only 1 of 2 workers joined") && e.getMessage().contains("missing rank 1"), e.getMessage());
    }

    @Test
    void wrongWorldSizeIsNamedOnBothSides() {
        int port = Launcher.freeLoopbackPort();
        CompletableFuture<String> root = CompletableFuture.supplyAsync(() -> {
            try {
                GlooSync.connect(env(0, 2, port, 20_000), Device.CPU);
                return "connected";
            } catch (CrateException e) {
                return e.getMessage();
            }
        });
        CrateException e = assertThrows(CrateException.class,
                () -> GlooSync.connect(new DistEnv(1, 3, 1, 3, "127.0.0.1", port, Duration.ofSeconds(20)), Device.CPU));
        assertEquals("rank 1: this worker has WORLD_SIZE=3 but rank 0 has WORLD_SIZE=2: start every worker with the same "
                + "WORLD_SIZE (nnodes × nproc)", e.getMessage());
        String other = root.join();
        assertTrue(other.startsWith("rank 0: stopping because rank 1 failed: this worker has WORLD_SIZE=3"), other);
    }

    @Test
    void environmentIsChecked() {
        assertEquals(1, DistEnv.fromEnvironment(Map.of()).worldSize());
        DistEnv e = DistEnv.fromEnvironment(Map.of("RANK", "1", "WORLD_SIZE", "4", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2",
                "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29600", "CRATE4J_DIST_TIMEOUT", "2.5"));
        assertEquals(new DistEnv(1, 4, 1, 2, "127.0.0.1", 29600, Duration.ofMillis(2500)), e);
        assertEquals("RANK=4 but WORLD_SIZE=4: ranks are 0..3", assertThrows(CrateException.class,
                () -> DistEnv.fromEnvironment(Map.of("RANK", "4", "WORLD_SIZE", "4"))).getMessage());
        assertTrue(assertThrows(CrateException.class, () -> DistEnv.fromEnvironment(Map.of("WORLD_SIZE", "2")))
                .getMessage().contains("RANK is not"));
        assertTrue(assertThrows(CrateException.class, () -> DistEnv.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "two")))
                .getMessage().contains("WORLD_SIZE='two'"));
    }
}

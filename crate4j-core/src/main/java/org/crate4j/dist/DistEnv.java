package org.crate4j.dist;

import java.time.Duration;
import java.util.Map;
import org.crate4j.CrateException;

/**
 * Where this process stands in a data-parallel job, read from torchrun's environment variables
 * ({@code RANK}, {@code WORLD_SIZE}, {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR},
 * {@code MASTER_PORT}) plus {@code CRATE4J_DIST_TIMEOUT} (seconds) for how long a silent peer is
 * waited for.
 *
 * @param rank           0 … worldSize−1; rank 0 hosts the rendezvous store and writes all files
 * @param localRank      index among the processes of this machine (selects cuda:N, fetches data)
 * @param localWorldSize processes on this machine
 */
public record DistEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr, int masterPort,
        Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_PORT = 29500;

    public DistEnv {
        if (worldSize < 1) {
            throw new CrateException("WORLD_SIZE=" + worldSize + ": it must be at least 1");
        }
        if (rank < 0 || rank >= worldSize) {
            throw new CrateException("RANK=" + rank + " but WORLD_SIZE=" + worldSize + ": ranks are 0.." + (worldSize - 1));
        }
        if (localRank < 0 || localRank >= localWorldSize) {
            throw new CrateException("LOCAL_RANK=" + localRank + " but LOCAL_WORLD_SIZE=" + localWorldSize
                    + ": local ranks are 0.." + (localWorldSize - 1));
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new CrateException("MASTER_PORT=" + masterPort + " is not a TCP port (1..65535)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new CrateException("the distributed timeout must be positive, got " + timeout.toSeconds() + " s");
        }
    }

    /** A single process: no environment needed. */
    public static DistEnv single() {
        return new DistEnv(0, 1, 0, 1, "127.0.0.1", DEFAULT_PORT, DEFAULT_TIMEOUT);
    }

    public static DistEnv fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** {@code WORLD_SIZE} absent or 1: a single process. Otherwise every variable is checked. */
    public static DistEnv fromEnvironment(Map<String, String> env) {
        int world = integer(env, "WORLD_SIZE", 1);
        if (world == 1 && !env.containsKey("RANK")) {
            return single();
        }
        if (!env.containsKey("RANK")) {
            throw new CrateException("WORLD_SIZE=" + world + " is set but RANK is not: start workers with 'crate launch' "
                    + "or set RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT for each");
        }
        int rank = integer(env, "RANK", 0);
        int localRank = integer(env, "LOCAL_RANK", rank);
        int localWorld = integer(env, "LOCAL_WORLD_SIZE", Math.max(world, localRank + 1));
        String addr = env.getOrDefault("MASTER_ADDR", "127.0.0.1").trim();
        if (addr.isEmpty()) {
            throw new CrateException("MASTER_ADDR is empty: set it to rank 0's host name or address");
        }
        int port = integer(env, "MASTER_PORT", DEFAULT_PORT);
        double timeoutSec;
        try {
            timeoutSec = Double.parseDouble(env.getOrDefault("CRATE4J_DIST_TIMEOUT", String.valueOf(DEFAULT_TIMEOUT.toSeconds())));
        } catch (NumberFormatException e) {
            throw new CrateException("CRATE4J_DIST_TIMEOUT='" + env.get("CRATE4J_DIST_TIMEOUT") + "' is not a number of seconds");
        }
        return new DistEnv(rank, world, localRank, localWorld, addr, port, Duration.ofMillis(Math.round(timeoutSec * 1000)));
    }

    public boolean distributed() {
        return worldSize > 1;
    }

    /** True when the master is this machine's loopback: then nothing is bound to other interfaces. */
    public boolean loopback() {
        return masterAddr.equals("localhost") || masterAddr.startsWith("127.") || masterAddr.equals("::1");
    }

    public String describe() {
        return "rank " + rank + " of " + worldSize + " (local " + localRank + " of " + localWorldSize + "), master "
                + masterAddr + ":" + masterPort;
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new CrateException(name + "='" + v + "' is not an integer");
        }
    }
}

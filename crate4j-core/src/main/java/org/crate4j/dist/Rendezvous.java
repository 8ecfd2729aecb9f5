package org.crate4j.dist;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.IntOptional;
import org.bytedeco.pytorch.Store;
import org.bytedeco.pytorch.StringVector;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.crate4j.CrateException;

/**
 * Brings the ranks together through c10d's {@link TCPStore} (rank 0 hosts it at MASTER_ADDR:MASTER_PORT)
 * and checks what torchrun leaves to chance: every rank is claimed once, all agree on the world size,
 * and all of them arrive within the timeout. Each problem becomes one line naming the ranks involved,
 * and a rank that gives up posts its reason so the others can repeat it instead of timing out.
 */
final class Rendezvous {
    static final String FAILED = "crate4j/failed/";
    static final String FAILURES = "crate4j/failures";

    private Rendezvous() {}

    static TCPStore join(DistEnv env) {
        TCPStore store = open(env);
        long deadline = System.nanoTime() + env.timeout().toNanos();
        int rank = env.rank(), world = env.worldSize();
        if (store.add("crate4j/claim/" + rank, 1) > 1) {
            throw fail(store, env, "two workers claim RANK=" + rank + ": give every worker its own rank (node rank × nproc + local rank)");
        }
        store.set("crate4j/world/" + rank, String.valueOf(world));
        awaitKeys(store, env, List.of("crate4j/world/0"), deadline, "rank 0");
        String rootWorld = store.get_to_str("crate4j/world/0");
        if (!rootWorld.equals(String.valueOf(world))) {
            throw fail(store, env, "this worker has WORLD_SIZE=" + world + " but rank 0 has WORLD_SIZE=" + rootWorld
                    + ": start every worker with the same WORLD_SIZE (nnodes × nproc)");
        }
        store.set("crate4j/ready/" + rank, "1");
        List<String> all = new ArrayList<>();
        for (int r = 0; r < world; r++) {
            all.add("crate4j/ready/" + r);
        }
        awaitKeys(store, env, all, deadline, null);
        return store;
    }

    /** Posts this rank's reason for giving up (best effort) and returns the error to throw. */
    static CrateException fail(Store store, DistEnv env, String message) {
        try {
            store.set(FAILED + env.rank(), message);
            store.add(FAILURES, 1);
        } catch (RuntimeException ignored) {
            // the store is gone too; the message still reaches this rank's output
        }
        return new CrateException("rank " + env.rank() + ": " + message);
    }

    /** The reason another rank posted, or null. */
    static String postedFailure(Store store, int worldSize, int self) {
        if (store.add(FAILURES, 0) == 0) {
            return null;
        }
        for (int r = 0; r < worldSize; r++) {
            if (r != self && store.check(new StringVector(FAILED + r))) {
                return "rank " + r + " failed: " + store.get_to_str(FAILED + r);
            }
        }
        return null;
    }

    private static TCPStore open(DistEnv env) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.port((short) env.masterPort());
        o.isServer(env.rank() == 0);
        o.numWorkers(new SizeTPointer(1).put(env.worldSize()));
        o.waitWorkers(false);
        o.timeout(new Milliseconds(env.timeout().toMillis()));
        if (env.rank() == 0 && env.loopback()) {
            String host = env.masterAddr().equals("localhost") ? InetAddress.getLoopbackAddress().getHostAddress() : env.masterAddr();
            OptionalInt fd = LoopbackListener.bind(host, env.masterPort());
            if (fd.isPresent()) {
                o.masterListenFd(new IntOptional(fd.getAsInt()));
            }
        }
        try {
            return new TCPStore(env.masterAddr(), o);
        } catch (RuntimeException e) {
            String m = firstLine(e);
            if (m.contains("EADDRINUSE") || m.contains("address already in use")) {
                throw new CrateException("rank 0: port " + env.masterPort() + " on " + env.masterAddr()
                        + " is in use: pick another --master-port (MASTER_PORT)");
            }
            if (env.rank() != 0) {
                throw new CrateException("rank " + env.rank() + ": cannot reach the master " + env.masterAddr() + ":" + env.masterPort()
                        + " within " + env.timeout().toSeconds() + " s (" + m + "): check that rank 0 is running and "
                        + "--master-addr/--master-port (MASTER_ADDR/MASTER_PORT)");
            }
            throw new CrateException("rank 0: cannot host the rendezvous store on port " + env.masterPort() + ": " + m);
        }
    }

    private static void awaitKeys(Store store, DistEnv env, List<String> keys, long deadline, String waitingFor) {
        StringVector wanted = new StringVector(keys.toArray(new String[0]));
        while (!store.check(wanted)) {
            String other = postedFailure(store, env.worldSize(), env.rank());
            if (other != null) {
                throw new CrateException("rank " + env.rank() + ": stopping because " + other);
            }
            if (System.nanoTime() > deadline) {
                List<String> missing = new ArrayList<>();
                for (String k : keys) {
                    if (!store.check(new StringVector(k))) {
                        missing.add(k.substring(k.lastIndexOf('/') + 1));
                    }
                }
                throw fail(store, env, (waitingFor != null ? waitingFor + " did not register" : "only "
                        + (env.worldSize() - missing.size()) + " of " + env.worldSize() + " workers joined")
                        + " within " + env.timeout().toSeconds() + " s (missing rank" + (missing.size() > 1 ? "s " : " ")
                        + String.join(", ", missing) + "): start them, or check WORLD_SIZE (--nnodes × --nproc)");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CrateException("rank " + env.rank() + ": interrupted during rendezvous");
            }
        }
    }

    /** The first line of a libtorch error, without the C++ stack and source paths. */
    static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        m = nl >= 0 ? m.substring(0, nl) : m;
        if (m.startsWith("[") && m.indexOf("] ") > 0) {
            m = m.substring(m.indexOf("] ") + 2); // gloo prefixes its source position
        }
        return m.trim();
    }
}

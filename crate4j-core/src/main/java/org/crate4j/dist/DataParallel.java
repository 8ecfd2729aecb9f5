package org.crate4j.dist;

import java.io.PrintStream;
import java.util.function.Function;
import java.util.function.Supplier;
import org.crate4j.engine.Device;
import org.crate4j.train.GradientSync;

/** How a command runs with or without data parallelism: the one place that decides which sync to use. */
public final class DataParallel {
    private DataParallel() {}

    /**
     * Runs {@code body} with no sync for a single process, or with a {@link GlooSync} joined to the
     * job {@code env} describes. A failure of this rank is posted for the others to quote; on success
     * rank 0 prints the communication summary.
     */
    public static <T> T run(DistEnv env, Device device, PrintStream log, Function<GradientSync, T> body) {
        if (!env.distributed()) {
            return body.apply(GradientSync.none());
        }
        GlooSync sync = GlooSync.connect(env, device);
        T result;
        try {
            result = body.apply(sync);
        } catch (GlooSync.PeerFailure e) {
            throw e;
        } catch (RuntimeException | Error e) {
            sync.postFailure(String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()));
            throw e;
        }
        sync.close();
        if (sync.rank() == 0) {
            log.println(sync.traffic().describe());
        }
        return result;
    }

    /** The device of this rank: {@code cuda} becomes {@code cuda:LOCAL_RANK} in a data-parallel job. */
    public static Device deviceFor(DistEnv env, Device requested) {
        return env.distributed() && requested.spec().equals("cuda") ? new Device("cuda:" + env.localRank()) : requested;
    }

    /** Runs {@code body} on each machine's local rank 0 first (e.g. a dataset download), then on the rest. */
    public static <T> T localLeaderFirst(GradientSync sync, Supplier<T> body) {
        return sync instanceof GlooSync g ? g.localLeaderFirst(body) : body.get();
    }
}

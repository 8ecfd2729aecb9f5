package org.crate4j.dist;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A launcher in a JVM of its own, for {@link NoOrphansTest} to kill: prints its workers' pids, then waits. Argument: out dir. */
public final class OrphanLauncher {
    private OrphanLauncher() {}

    public static void main(String[] args) throws Exception {
        Launcher.Spec spec = new Launcher.Spec(org.crate4j.train.DataParallelWorker.command(),
                List.of(args[0], "4", "500", "0", "false"), 2, 1, 0, "127.0.0.1", Launcher.freeLoopbackPort(),
                Duration.ofSeconds(30), 1, Duration.ofSeconds(3));
        Launcher.Job job = Launcher.start(spec, Map.of(), System.out, System.out);
        StringBuilder pids = new StringBuilder("worker pids:");
        job.workers().forEach(p -> pids.append(' ').append(p.pid()));
        System.out.println(pids);
        System.out.flush();
        System.exit(job.waitFor());
    }
}

package org.crate4j.dist;

import java.io.IOException;
import java.io.InputStream;

/**
 * Ends a worker whose launcher died. The launcher ({@link Launcher#start}) keeps the write end of
 * each worker's standard input open and never writes to it; when the launcher ends by any means,
 * kill -9 included, the kernel closes that end and the worker reads end-of-file. No polling, no
 * pid that could be reused. Without this, killing {@code crate launch} (or the parent that
 * {@code train --nproc auto} splits into) left both workers training at full CPU.
 */
public final class LauncherWatch {
    /** Set by the launcher in each worker's environment. */
    public static final String ENV = "CRATE4J_LAUNCHER_PIPE";
    private static boolean started;

    private LauncherWatch() {}

    /** In a worker started by {@link Launcher}, starts the watch (once per process); elsewhere does nothing. */
    public static synchronized void startIfLaunched(int rank) {
        if (started || !"1".equals(System.getenv(ENV))) {
            return;
        }
        started = true;
        Thread t = new Thread(() -> {
            awaitEndOfFile(System.in);
            System.err.println("crate: rank " + rank + ": the launcher is gone (killed or exited); stopping this worker");
            System.err.flush();
            // halt, not exit: a shutdown hook or a collective waiting on the dead peers must not keep us alive
            Runtime.getRuntime().halt(3);
        }, "crate4j-launcher-watch");
        t.setDaemon(true);
        t.start();
    }

    static void awaitEndOfFile(InputStream in) {
        byte[] sink = new byte[256];
        try {
            while (in.read(sink) >= 0) {
                // the launcher writes nothing; anything read is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as end-of-file here
        }
    }
}

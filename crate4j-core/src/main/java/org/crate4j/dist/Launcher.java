package org.crate4j.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.crate4j.CrateException;

/**
 * Starts this machine's worker processes of a data-parallel job, as torchrun does: N JVMs with the
 * same classpath, each told its place through RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
 * MASTER_ADDR and MASTER_PORT. Their output is prefixed with the rank. When a worker fails, the
 * launcher says which, gives the others a moment to report what they saw, stops them, and returns
 * the failed worker's exit code.
 */
public final class Launcher {
    /**
     * @param command the worker's program up to its arguments: java, JVM options, classpath, main class
     * @param args    the worker's arguments (the same for every rank)
     * @param grace   how long the other workers may take to stop on their own after one failed
     */
    public record Spec(List<String> command, List<String> args, int nproc, int nnodes, int nodeRank, String masterAddr,
            int masterPort, Duration timeout, int threadsPerWorker, Duration grace) {
        public Spec {
            if (nproc < 1 || nnodes < 1 || nodeRank < 0 || nodeRank >= nnodes) {
                throw new CrateException("need --nproc >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes; got nproc " + nproc
                        + ", nnodes " + nnodes + ", node rank " + nodeRank);
            }
        }

        public int worldSize() {
            return nproc * nnodes;
        }
    }

    /** The running workers of this machine. */
    public static final class Job {
        private final List<Process> workers;
        private final List<Thread> pumps;
        private final Spec spec;
        private final PrintStream err;

        private Job(Spec spec, List<Process> workers, List<Thread> pumps, PrintStream err) {
            this.spec = spec;
            this.workers = workers;
            this.pumps = pumps;
            this.err = err;
        }

        public List<Process> workers() {
            return workers;
        }

        public int rankOf(int local) {
            return spec.nodeRank() * spec.nproc() + local;
        }

        /** Waits for all workers; on the first failure stops the rest. Returns 0 or the failed worker's code. */
        public int waitFor() {
            List<CompletableFuture<Process>> pending = new ArrayList<>();
            for (Process p : workers) {
                pending.add(p.onExit());
            }
            int failedLocal = -1;
            while (failedLocal < 0 && workers.stream().anyMatch(Process::isAlive)) {
                // a timed wait, and liveness asked of the process itself: one run of the suite hung here
                // with every worker gone, as if an exit had not reached its onExit future
                try {
                    CompletableFuture.anyOf(pending.stream().filter(f -> !f.isDone()).toArray(CompletableFuture[]::new))
                            .get(1, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    // look again below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stopAll();
                    joinPumps();
                    return 1;
                }
                failedLocal = firstFailed();
            }
            if (failedLocal < 0) {
                failedLocal = firstFailed(); // all may have ended before the first look
            }
            if (failedLocal < 0) {
                joinPumps();
                return 0;
            }
            int code = workers.get(failedLocal).exitValue();
            err.println("crate launch: rank " + rankOf(failedLocal) + " " + describeExit(code) + "; stopping the other workers");
            stopAll();
            joinPumps();
            return code > 0 && code < 126 ? code : 1;
        }

        /** The first worker that has ended with a non-zero code, or -1. */
        private int firstFailed() {
            for (int i = 0; i < workers.size(); i++) {
                Process p = workers.get(i);
                if (!p.isAlive() && p.exitValue() != 0) {
                    return i;
                }
            }
            return -1;
        }

        /** Lets the survivors report (they notice a dead peer at once), then terminates, then kills. */
        public void stopAll() {
            awaitAll(spec.grace());
            workers.stream().filter(Process::isAlive).forEach(Process::destroy);
            awaitAll(Duration.ofSeconds(5));
            workers.stream().filter(Process::isAlive).forEach(Process::destroyForcibly);
            awaitAll(Duration.ofSeconds(5));
        }

        private void awaitAll(Duration d) {
            long deadline = System.nanoTime() + d.toNanos();
            for (Process p : workers) {
                long left = deadline - System.nanoTime();
                try {
                    if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private void joinPumps() {
            for (Thread t : pumps) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private Launcher() {}

    /** How the workers' output reaches the launcher's streams. */
    public enum Relay {
        /** Every line of every worker, prefixed with its rank (crate launch). */
        ALL_PREFIXED,
        /**
         * Rank 0's output as if it ran alone; other ranks' error stream only, prefixed (a job that
         * splits itself over local processes and should read like a single process). Gloo's
         * connection chatter is dropped.
         */
        RANK0_PLAIN
    }

    /** Starts this machine's workers. Check the port first on the master's machine. */
    public static Job start(Spec spec, Map<String, String> extraEnv, PrintStream out, PrintStream err) {
        return start(spec, extraEnv, out, err, Relay.ALL_PREFIXED);
    }

    /** Starts this machine's workers with their output relayed as {@code relay} says. */
    public static Job start(Spec spec, Map<String, String> extraEnv, PrintStream out, PrintStream err, Relay relay) {
        if (spec.nodeRank() == 0 && isLocal(spec.masterAddr())) {
            checkPortFree(spec.masterAddr(), spec.masterPort());
        }
        List<Process> workers = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        Job job = new Job(spec, workers, pumps, err);
        for (int local = 0; local < spec.nproc(); local++) {
            int rank = job.rankOf(local);
            List<String> cmd = new ArrayList<>(spec.command());
            cmd.addAll(spec.args());
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Map<String, String> env = pb.environment();
            env.putAll(extraEnv);
            env.put("RANK", String.valueOf(rank));
            env.put("WORLD_SIZE", String.valueOf(spec.worldSize()));
            env.put("LOCAL_RANK", String.valueOf(local));
            env.put("LOCAL_WORLD_SIZE", String.valueOf(spec.nproc()));
            env.put("GROUP_RANK", String.valueOf(spec.nodeRank()));
            env.put("MASTER_ADDR", spec.masterAddr());
            env.put("MASTER_PORT", String.valueOf(spec.masterPort()));
            env.put("CRATE4J_DIST_TIMEOUT", String.valueOf(spec.timeout().toMillis() / 1000.0));
            env.put("OMP_NUM_THREADS", String.valueOf(spec.threadsPerWorker()));
            env.put(LauncherWatch.ENV, "1"); // stdin stays a pipe from us: the worker stops when we die

            try {
                Process p = pb.start();
                workers.add(p);
                if (relay == Relay.ALL_PREFIXED) {
                    pumps.add(pump(p.getInputStream(), out, "[rank " + rank + "] ", false));
                    pumps.add(pump(p.getErrorStream(), err, "[rank " + rank + "] ", false));
                } else if (rank == 0) {
                    pumps.add(pump(p.getInputStream(), out, "", true));
                    pumps.add(pump(p.getErrorStream(), err, "", true));
                } else {
                    pumps.add(pump(p.getInputStream(), null, "", true));
                    pumps.add(pump(p.getErrorStream(), err, "[rank " + rank + "] ", true));
                }
            } catch (IOException e) {
                workers.forEach(Process::destroyForcibly);
                throw new CrateException("cannot start worker " + rank + " (" + cmd.get(0) + "): " + e.getMessage());
            }
        }
        return job;
    }

    /** The command that starts a JVM like this one (same java, heap and system properties, classpath) on {@code mainClass}. */
    public static List<String> javaCommand(String classpath, String mainClass) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command()
                .orElse(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-Xm") || a.startsWith("-D") || a.startsWith("-XX:") || (a.startsWith("--add-") && a.contains("="))) {
                cmd.add(a);
            }
        }
        if (!cmd.contains(EXPORT_NIO)) {
            cmd.add(EXPORT_NIO); // lets the rendezvous store listen on loopback only (LoopbackListener)
        }
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add(mainClass);
        return cmd;
    }

    private static final String EXPORT_NIO = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";

    /** A free TCP port on the loopback interface (for single-machine jobs without --master-port). */
    public static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new CrateException("cannot find a free port on 127.0.0.1: " + e.getMessage());
        }
    }

    public static boolean isLocal(String addr) {
        return addr.equals("localhost") || addr.startsWith("127.") || addr.equals("::1");
    }

    /** Fails in one line when {@code port} is taken on this machine's {@code addr}. */
    public static void checkPortFree(String addr, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(addr.equals("localhost") ? "127.0.0.1" : addr, port));
        } catch (IOException e) {
            throw new CrateException("port " + port + " on " + addr + " is in use (" + e.getMessage() + "): pick another --master-port");
        }
    }

    static String describeExit(int code) {
        if (code > 128 && code < 160) {
            int sig = code - 128;
            String name = switch (sig) {
                case 9 -> "SIGKILL";
                case 15 -> "SIGTERM";
                case 6 -> "SIGABRT";
                case 11 -> "SIGSEGV";
                case 2 -> "SIGINT";
                default -> "signal " + sig;
            };
            return "was killed by " + name + " (exit code " + code + ")";
        }
        return "exited with code " + code;
    }

    /**
     * Copies a worker's output line by line with its rank in front; carriage returns (progress bars)
     * are kept. A null {@code to} drains the stream; {@code quiet} drops Gloo's connection lines.
     */
    private static Thread pump(InputStream in, PrintStream to, String prefix, boolean quiet) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            StringBuilder line = new StringBuilder();
            try (in) {
                java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        byte b = buf[i];
                        if (b == '\n' || b == '\r') {
                            line.append(pending.toString(StandardCharsets.UTF_8));
                            pending.reset();
                            if (to == null || (quiet && line.toString().startsWith("[Gloo]"))) {
                                line.setLength(0);
                                continue;
                            }
                            synchronized (to) {
                                // a bare carriage return (a progress bar redrawing) gets no prefix of its own
                                to.print(line.length() == 0 && b == '\r' ? "\r" : prefix + line + (b == '\n' ? "\n" : "\r"));
                                to.flush();
                            }
                            line.setLength(0);
                        } else {
                            pending.write(b);
                        }
                    }
                }
                if (pending.size() > 0 && to != null) {
                    synchronized (to) {
                        to.println(prefix + pending.toString(StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException ignored) {
                // the worker is gone
            }
        }, "crate4j-launch-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}

package org.crate4j.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.crate4j.CrateException;
import org.crate4j.dist.DistEnv;
import org.crate4j.dist.Launcher;
import org.crate4j.io.RunFolders;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "launch", mixinStandardHelpOptions = true,
        description = {"Runs a data-parallel job, like torchrun: starts --nproc worker processes on this machine, each running "
                + "the crate command after '--' with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set.",
                "Example: crate launch --nproc 2 -- train --epochs 4   (or -- mae-pretrain …, -- bench …)",
                "Several machines: run the same command on each with --nnodes M --node-rank R --master-addr <node 0's address> "
                        + "--master-port P."})
final class LaunchCommand implements Callable<Integer> {
    /** The commands that run data parallel. */
    private static final List<String> PARALLEL = List.of("train", "mae-pretrain", "bench");

    @Option(names = "--nproc", required = true, description = "worker processes on this machine")
    int nproc;
    @Option(names = "--nnodes", defaultValue = "1", description = "machines in the job (default: ${DEFAULT-VALUE})")
    int nnodes;
    @Option(names = "--node-rank", defaultValue = "0", description = "this machine's index, 0 on the master (default: ${DEFAULT-VALUE})")
    int nodeRank;
    @Option(names = "--master-addr", defaultValue = "127.0.0.1",
            description = "address of node 0, where rank 0 hosts the rendezvous store (default: ${DEFAULT-VALUE})")
    String masterAddr;
    @Option(names = "--master-port", description = "port of the rendezvous store (default: a free port on one machine, "
            + DistEnv.DEFAULT_PORT + " on several)")
    Integer masterPort;
    @Option(names = "--timeout", defaultValue = "60",
            description = "seconds a worker waits for a silent peer before failing with its rank named (default: ${DEFAULT-VALUE})")
    double timeout;
    @Option(names = "--threads", description = "intra-op threads per worker (default: cores / nproc)")
    Integer threads;
    @Parameters(arity = "1..*", paramLabel = "-- COMMAND", description = "the crate command each worker runs: train …, mae-pretrain … or bench …")
    List<String> command;

    @Override
    public Integer call() {
        String sub = command.get(0);
        if (!PARALLEL.contains(sub)) {
            throw new CrateException("crate launch runs train, mae-pretrain or bench in parallel, not '" + sub
                    + "': use crate launch --nproc N -- train …");
        }
        int perWorker = threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / nproc);
        List<String> args = new ArrayList<>(command);
        if (!args.contains("--threads") && args.stream().noneMatch(a -> a.startsWith("--threads="))) {
            args.add("--threads");
            args.add(String.valueOf(perWorker));
        }
        int port = masterPort != null ? masterPort : nnodes == 1 ? Launcher.freeLoopbackPort() : DistEnv.DEFAULT_PORT;
        if (!sub.equals("bench") && nodeRank == 0 && args.stream().noneMatch(a -> a.equals("--out") || a.startsWith("--out="))) {
            if (Launcher.isLocal(masterAddr)) {
                Launcher.checkPortFree(masterAddr, port); // before a run folder is made for nothing
            }
            // every worker writes (rank 0) or reads (resume) the same folder: the launcher picks it
            args.add("--out");
            args.add(RunFolders.resolve(null, args.contains("--resume"), false, RunFolders.base(sub), "launch").toString());
        }
        Launcher.Spec spec = new Launcher.Spec(Launcher.javaCommand(System.getProperty("java.class.path"), Main.class.getName()),
                args, nproc, nnodes, nodeRank, masterAddr, port, Duration.ofMillis(Math.round(timeout * 1000)), perWorker,
                Duration.ofSeconds(5));
        return run(spec, Launcher.Relay.ALL_PREFIXED, String.format("crate launch: %d workers on this machine (ranks %d..%d of %d), "
                + "%d threads each, master %s:%d", nproc, nodeRank * nproc, nodeRank * nproc + nproc - 1, spec.worldSize(), perWorker,
                masterAddr, port));
    }

    /**
     * Runs {@code nproc} local workers of {@code args} (a crate command line), {@code threads} intra-op
     * threads each, as one single-machine job whose output reads like one process's.
     */
    static int runLocal(List<String> args, int nproc, int threads, List<String> userArgs) {
        Launcher.Spec spec = new Launcher.Spec(Launcher.javaCommand(System.getProperty("java.class.path"), Main.class.getName()),
                args, nproc, 1, 0, "127.0.0.1", Launcher.freeLoopbackPort(), Duration.ofSeconds(60), threads, Duration.ofSeconds(5));
        // the workers' argv has --out and --threads appended; run.json records what the user typed
        return run(spec, Launcher.Relay.RANK0_PLAIN, null, Map.of(RunRecordOptions.USER_COMMAND_ENV, RunRecordOptions.joinArgs(userArgs)));
    }

    /** Starts the workers, then prints {@code started} (if any) and waits for them. */
    private static int run(Launcher.Spec spec, Launcher.Relay relay, String started) {
        return run(spec, relay, started, Map.of());
    }

    private static int run(Launcher.Spec spec, Launcher.Relay relay, String started, Map<String, String> extraEnv) {
        Launcher.Job job = Launcher.start(spec, extraEnv, System.out, System.err, relay);
        if (started != null) {
            System.err.println(started);
        }
        Thread stopOnExit = new Thread(() -> job.workers().forEach(Process::destroy), "crate4j-launch-stop");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
        int code = job.waitFor();
        Runtime.getRuntime().removeShutdownHook(stopOnExit);
        return code;
    }
}

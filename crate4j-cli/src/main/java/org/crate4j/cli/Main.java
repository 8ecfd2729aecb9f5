package org.crate4j.cli;

import java.io.PrintWriter;
import org.crate4j.CrateException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code crate} command: thin sub-commands over the library. */
@Command(name = "crate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "CRATE white-box transformers on the JVM (libtorch 2.10 via JavaCPP).",
        subcommands = {TrainCommand.class, LaunchCommand.class, FinetuneCommand.class, EvalCommand.class, InfoCommand.class,
                PredictCommand.class, ConvertCommand.class, BenchCommand.class, LayerwiseCommand.class, AttentionCommand.class,
                PcaCommand.class, SegmentCommand.class, MakeSyntheticCommand.class, MaePretrainCommand.class, ReconstructCommand.class,
                LinearProbeCommand.class, ServeCommand.class})
public final class Main implements Runnable {
    /** The version Maven wrote into {@code version.properties} at build time, with libtorch's. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"crate4j " + p.getProperty("version", "(unknown version)") + ", libtorch 2.10 (JavaCPP presets 1.5.13)"};
        }
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code: 0 ok, 2 bad input (one line on stderr), 1 bug. */
    public static int run(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        args = RunConfig.expand(args);
        CommandLine cli = new CommandLine(new Main());
        cli.setOverwrittenOptionsAllowed(true); // --config's options first, the user's after them win
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> report(ex, cmd.getErr(), verbose));
        cli.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("crate: " + ex.getMessage());
            ex.getCommandLine().getErr().println("(see 'crate " + ex.getCommandLine().getCommandName() + " --help')");
            return 2;
        });
        // every numeric option is range-checked before any command reads or writes anything
        cli.setExecutionStrategy(parsed -> {
            try {
                OptionRules.check(parsed);
            } catch (CrateException e) {
                throw new CommandLine.ExecutionException(parsed.commandSpec().commandLine(), e.getMessage(), e);
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        return cli.execute(args);
    }

    /**
     * Reports a command's failure and returns the exit code: a {@link CrateException} (also as the
     * cause of another) is bad input, one line and 2; anything else is a bug, 1. Without verbose
     * every report is one line, however many lines the message has (libtorch's do); with it, the
     * stack trace and the whole message.
     */
    static int report(Exception ex, PrintWriter err, boolean verbose) {
        Throwable e = ex;
        while (!(e instanceof CrateException) && e.getCause() != null && e.getCause() != e) {
            e = e.getCause();
        }
        if (verbose) {
            ex.printStackTrace(err);
        }
        if (e instanceof CrateException) {
            String m = String.valueOf(e.getMessage());
            err.println("crate: " + (verbose || m.lines().count() <= 1 ? m : firstLine(m) + " (run with --verbose for the rest)"));
            return 2;
        }
        String what = ex.getClass().getName() + (ex.getMessage() == null ? "" : ": " + firstLine(ex.getMessage()));
        err.println("crate: internal error: " + (verbose ? ex : what + " (run with --verbose for the stack trace)"));
        return 1;
    }

    /**
     * The first line of a message. libtorch's errors go on with "Exception raised from …" and
     * dozens of native stack frames, which only --verbose shows.
     */
    static String firstLine(String message) {
        return message.lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
    }
}

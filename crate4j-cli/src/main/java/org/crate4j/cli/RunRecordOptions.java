package org.crate4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.crate4j.engine.Torch;
import org.crate4j.train.RunSession;
import org.crate4j.train.TrainingListener;
import picocli.CommandLine.Option;

/** How a training command records its run: step metrics, TensorBoard events, run.json, and whether it may replace a run. */
final class RunRecordOptions {
    @Option(names = "--overwrite", description = "replace the run already in --out (its checkpoints, metrics and events are deleted first)")
    boolean overwrite;
    @Option(names = "--log-every", defaultValue = "50",
            description = "a step row (loss, lr, gradient norm, images/s, data wait) in metrics.jsonl and TensorBoard every N optimizer steps; 0: epochs only (default: ${DEFAULT-VALUE})")
    int logEvery;
    @Option(names = "--tensorboard", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "write TensorBoard event files into the run folder (tensorboard --logdir runs); --no-tensorboard turns it off (default: on)")
    boolean tensorboard;

    /** The progress bar and console lines, plus the run's recorders ({@link RunSession#recorders}). */
    TrainingListener[] listeners(Map<String, Object> settings) {
        List<TrainingListener> all = new java.util.ArrayList<>(List.of(ConsoleReport.standard(System.out)));
        all.addAll(RunSession.recorders(logEvery, tensorboard, settings));
        return all.toArray(TrainingListener[]::new);
    }

    /** What every run.json holds besides the command's own settings. */
    static Map<String, Object> common(List<String> argv, RuntimeOptions runtime, int processes) {
        Map<String, Object> m = new LinkedHashMap<>();
        String typed = System.getenv(USER_COMMAND_ENV);
        m.put("command", typed != null ? splitArgs(typed) : argv);
        m.put("crate4j", version());
        m.put("libtorch", "2.10.0 (JavaCPP presets 1.5.13)");
        m.put("device", runtime.device().toString());
        m.put("precision", runtime.precision().name().toLowerCase(java.util.Locale.ROOT));
        m.put("threads", Torch.threads());
        m.put("processes", processes);
        return m;
    }

    /** Set by a parent that launched this worker: the command line its user typed. */
    static final String USER_COMMAND_ENV = "CRATE4J_USER_COMMAND";
    private static final String ARG_SEPARATOR = "\u001f"; // ASCII unit separator: never in a shell argument

    static String joinArgs(List<String> args) {
        return String.join(ARG_SEPARATOR, args);
    }

    static List<String> splitArgs(String joined) {
        return joined.isEmpty() ? List.of() : List.of(joined.split(ARG_SEPARATOR, -1));
    }

    static String version() {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException ignored) {
            // unknown version
        }
        return p.getProperty("version", "unknown");
    }
}

package org.crate4j.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crate4j.io.RunFolders;
import org.crate4j.io.RunLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A training run's folder for as long as the run lasts: chosen so that no run overwrites another
 * ({@link RunFolders}), held by this process alone ({@link RunLock}), and given the listeners that
 * make it self-describing: {@code run.json} ({@link RunRecord}), step and epoch metrics
 * ({@link MetricsFiles}) and TensorBoard events ({@link TensorBoardListener}). In a data-parallel
 * job only rank 0 holds the folder and writes; the other ranks are handed the same path.
 */
public final class RunSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RunSession.class);
    private final Path dir;
    private final RunLock lock;

    private RunSession(Path dir, RunLock lock) {
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * Resolves and, when {@code writer}, takes the folder.
     *
     * @param out   the folder asked for, or null: a fresh {@code runs/<task>/<date>-<name>} (or, to
     *              resume, {@code runs/<task>/latest})
     * @param what  what the run is, for the message a second writer gets ("training run")
     */
    public static RunSession open(Path out, boolean resume, boolean overwrite, String task, String name, boolean writer, String what) {
        if (!writer) {
            return new RunSession(out, null);
        }
        Path dir = RunFolders.resolve(out, resume, overwrite, RunFolders.base(task), name);
        RunLock lock = RunLock.acquire(dir, what);
        if (lock.previousHolder() != null) {
            LOG.info("{}: took over the lock of a process that is gone ({})", dir, lock.previousHolder());
        }
        if (overwrite && !resume) {
            RunFolders.clear(dir);
        }
        return new RunSession(dir, lock);
    }

    public Path dir() {
        return dir;
    }

    /**
     * The listeners that record the run in its folder: metrics every {@code logEvery} steps (0:
     * epochs only), TensorBoard events when {@code tensorboard}, and {@code run.json} with
     * {@code record}'s settings.
     */
    public static List<TrainingListener> recorders(int logEvery, boolean tensorboard, Map<String, Object> record) {
        List<TrainingListener> out = new ArrayList<>();
        out.add(new MetricsFiles(logEvery));
        if (tensorboard) {
            out.add(new TensorBoardListener(logEvery));
        }
        out.add(new RunRecord(record));
        return out;
    }

    @Override
    public void close() {
        if (lock != null) {
            lock.close();
        }
    }
}

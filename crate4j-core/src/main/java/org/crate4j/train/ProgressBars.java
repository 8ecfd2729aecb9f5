package org.crate4j.train;

import java.io.OutputStream;
import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The loops' console progress bars: ASCII on stderr, refreshed once a second, silent on other
 * ranks. On a terminal they fit its width; into a pipe or log they keep up to 200 characters, so
 * the step rate and data wait at the end of the line are not cut off.
 */
public final class ProgressBars {
    private ProgressBars() {}

    /** A bar for {@code max} steps of which {@code done} are already behind (a resumed epoch). */
    public static ProgressBar start(String task, long max, long done, boolean visible) {
        PrintStream sink = visible ? System.err : new PrintStream(OutputStream.nullOutputStream());
        ProgressBar bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(1000).continuousUpdate().setConsumer(new ConsoleProgressBarConsumer(sink, System.console() == null ? 200 : -1))
                .build();
        bar.stepTo(done);
        return bar;
    }
}

package org.crate4j.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** What this machine is, for run records and cached measurements. */
public final class Machine {
    private Machine() {}

    /** The CPU's model name from /proc/cpuinfo, else the architecture. */
    public static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (Exception ignored) {
            // not Linux: fall back to the architecture
        }
        return System.getProperty("os.arch");
    }
}

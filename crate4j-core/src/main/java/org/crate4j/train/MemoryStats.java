package org.crate4j.train;

import java.nio.file.Files;
import java.nio.file.Path;

/** Process memory as the kernel sees it (native tensors included), from /proc/self/status. */
public final class MemoryStats {
    private MemoryStats() {}

    public static long peakRssMb() {
        return field("VmHWM:");
    }

    public static long rssMb() {
        return field("VmRSS:");
    }

    private static long field(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (Exception e) {
            // not Linux: report unknown
        }
        return -1;
    }
}

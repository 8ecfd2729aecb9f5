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

    /**
     * Resets the kernel's peak (VmHWM) to the current resident size, by writing 5 to
     * /proc/self/clear_refs (Linux ≥ 4.0), so that {@link #peakRssMb()} then measures from here.
     * False where that is not possible (the peak then stays the process's own).
     */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (Exception e) {
            return false;
        }
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

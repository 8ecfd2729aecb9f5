package org.crate4j.train;

/** Per-step linear warm-up from 0 to the peak, then cosine decay to {@code minLr} (docs/architecture.md §5). */
public record LrSchedule(double peakLr, double minLr, long warmupSteps, long totalSteps) {
    public double at(long step) {
        if (step < warmupSteps) {
            return peakLr * (step + 1) / warmupSteps;
        }
        long decay = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (step - warmupSteps) / (double) decay);
        return minLr + 0.5 * (peakLr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
}

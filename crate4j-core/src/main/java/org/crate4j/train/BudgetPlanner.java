package org.crate4j.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fits a run's length to its time budget, for every task: the first steps are timed (after a
 * calibration span), the total is planned so that training plus its end-of-epoch work ends inside
 * the budget, and re-planned as the rate settles. With patch dropout for the first part of the
 * steps, the two parts are costed separately. Every decision is rank 0's, on every rank: a rank
 * deciding from its own clock would stop while the others wait for it in an allreduce.
 */
final class BudgetPlanner {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetPlanner.class);

    private final LoopOptions opt;
    private final GradientSync sync;
    private final double budgetSec;
    /** Seconds per train step with and without patch dropout, measured after calibration. */
    private final StepCosts costs = new StepCosts();
    private final double dropRatio;

    /**
     * @param dropRatio how much more a step on every patch costs than one with patch dropout, before
     *                  both are measured (the token ratio; 1 without patch dropout)
     */
    BudgetPlanner(LoopOptions opt, GradientSync sync, double dropRatio) {
        this.opt = opt;
        this.sync = sync;
        this.budgetSec = opt.timeBudgetMin() > 0 ? opt.timeBudgetMin() * 60 : Double.POSITIVE_INFINITY;
        this.dropRatio = dropRatio;
    }

    /** The schedule is fitted to the budget (no epochs given). */
    boolean fits() {
        return opt.epochs() <= 0 && opt.timeBudgetMin() > 0;
    }

    boolean hasBudget() {
        return Double.isFinite(budgetSec);
    }

    /** Records a timed step (after calibration). */
    void addStep(boolean dropping, long stepNanos) {
        costs.add(dropping, stepNanos);
    }

    /** The first plan, from the calibration steps' mean time. */
    long firstPlan(long step, double elapsed, boolean dropping, double secPerStep, double epochEndSeconds, long valImages, int perEpoch) {
        costs.first(dropping, secPerStep);
        return agreed(fitSteps(step, elapsed, costs, epochEndSeconds, valImages, perEpoch, true, dropping));
    }

    /** A re-plan from the steady rate; logged when it moves the total by more than 5 %. */
    long replan(long step, long total, double elapsed, boolean dropping, double epochEndSeconds, long valImages, int perEpoch) {
        long replanned = agreed(fitSteps(step, elapsed, costs, epochEndSeconds, valImages, perEpoch, false, dropping));
        if (Math.abs(replanned - total) > total / 20 && sync.rank() == 0) {
            LOG.info("re-planned at step {}: {} steps (was {}; {} s/step, {} s elapsed)", step, replanned, total,
                    String.format("%.3f", costs.current(dropping)), String.format("%.0f", elapsed));
        }
        return replanned;
    }

    /** Whether the next step would not leave time for the end-of-epoch work: the run stops now (all ranks agree). */
    boolean outOfTime(double elapsed, double epochEndMeasured, long valImages, double secPerStep) {
        return hasBudget() && agreed(elapsed + epochEndEstimate(epochEndMeasured, valImages, secPerStep) > budgetSec ? 1 : 0) > 0;
    }

    /** Whether it is time to re-plan after {@code step}. */
    boolean replanDue(long step, long calibStep, long total) {
        return fits() && calibStep > 0 && (step - calibStep) % replanEvery(opt.accumSteps()) == 0 && step < total - Math.max(10, total / 30);
    }

    /**
     * Steps timed before the first plan: 5 to 30 passes' worth (a quarter epoch), counted in
     * micro-batches since warm-up (JIT, allocator) is per pass, but at least 2 optimizer steps.
     */
    static int calibrationSteps(int perEpoch, int accumSteps) {
        int passes = Math.max(5, Math.min(30, perEpoch * accumSteps / 4));
        return Math.max(2, (passes + accumSteps - 1) / accumSteps);
    }

    /** Steps between re-plans: about 25 passes. */
    static int replanEvery(int accumSteps) {
        return Math.max(1, 25 / accumSteps);
    }

    /**
     * Plans the total steps so that training plus its end-of-epoch work (evaluation, metrics,
     * checkpoints; {@link #epochEndEstimate}) ends inside the budget.
     */
    private long fitSteps(long step, double elapsed, StepCosts costs, double epochEndMeasured, long valImages, int perEpoch,
            boolean say, boolean dropping) {
        double full = costs.full(dropRatio), droppingCost = costs.dropping(dropRatio);
        double perEpochEnd = epochEndEstimate(epochEndMeasured, valImages, full);
        double left = budgetSec - elapsed - 3;
        long steps = step;
        for (int i = 0; i < 3; i++) {
            double epochsLeft = Math.ceil(Math.max(1, steps) / (double) perEpoch) - Math.floor(step / (double) perEpoch);
            steps = stepsWithin(step, Math.max(0, left - perEpochEnd * (epochsLeft + 0.5)), droppingCost, full);
        }
        if (say && sync.rank() == 0) {
            LOG.info(String.format("time budget %.1f min: %.3f s/step measured, planning %d steps (%.2f epochs; re-planned as the rate settles)",
                    budgetSec / 60, costs.current(dropping), steps, steps / (double) perEpoch));
        }
        return Math.max(step, steps);
    }

    /** The largest total T whose steps from {@code step} on fit in {@code seconds}: those before the patch-dropout switch cost {@code dropping}, the rest {@code full}. */
    long stepsWithin(long step, double seconds, double dropping, double full) {
        long lo = step, hi = step + (long) Math.ceil(seconds / Math.min(dropping, full)) + 1;
        while (hi - lo > 1) {
            long mid = (lo + hi) >>> 1;
            double sw = opt.patchDropout() > 0 ? Math.min(mid, Math.max(step, opt.patchDropoutUntil() * mid)) : step;
            double cost = (sw - step) * dropping + (mid - sw) * full;
            if (cost <= seconds) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * Seconds the end-of-epoch work (evaluation, metrics, plot, checkpoints) will take: as last
     * measured, with a margin, once an epoch has ended; before, from the train rate (a forward pass
     * costs about a quarter of a train step per image, and evaluation is split over the processes).
     * The planner and the hard stop at the budget both use it.
     */
    double epochEndEstimate(double measured, long valImages, double secPerFullStep) {
        double imagesPerStep = opt.batch() * (double) opt.accumSteps();
        return measured > 0 ? measured * 1.1 + 0.5 : valImages / (double) sync.worldSize() * secPerFullStep / imagesPerStep / 4 + 2;
    }

    /** Rank 0's value, on every rank. */
    long agreed(long value) {
        if (sync.worldSize() == 1) {
            return value;
        }
        return Math.round(sync.sum(new double[] {sync.rank() == 0 ? value : 0})[0]);
    }

    /** Seconds per train step with and without patch dropout: measured means, the unmeasured one scaled from the other. */
    static final class StepCosts {
        private final double[] nanos = new double[2];
        private final long[] count = new long[2];
        private final double[] first = {Double.NaN, Double.NaN};

        void first(boolean dropping, double secPerStep) { first[dropping ? 0 : 1] = secPerStep; }

        void add(boolean dropping, long stepNanos) {
            nanos[dropping ? 0 : 1] += stepNanos;
            count[dropping ? 0 : 1]++;
        }

        private double measured(int i) {
            return count[i] >= 10 ? nanos[i] / 1e9 / count[i] : first[i];
        }

        double current(boolean dropping) { return dropping ? dropping(1) : full(1); }

        double full(double ratio) {
            double f = measured(1);
            return Double.isNaN(f) ? measured(0) * ratio : f;
        }

        double dropping(double ratio) {
            double d = measured(0);
            return Double.isNaN(d) ? measured(1) / ratio : d;
        }
    }
}

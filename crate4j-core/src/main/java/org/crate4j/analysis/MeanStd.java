package org.crate4j.analysis;

/**
 * A mean and standard deviation over images.
 *
 * @param std the sample standard deviation (divisor n − 1), as {@code torch.std} in the reference's
 *            coding-rate script; 0 when there is a single value
 */
public record MeanStd(double mean, double std, int count) {
    public static MeanStd of(double[] values) {
        int n = values.length;
        if (n == 0) {
            return new MeanStd(Double.NaN, Double.NaN, 0);
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / n, squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new MeanStd(mean, n > 1 ? Math.sqrt(squares / (n - 1)) : 0.0, n);
    }
}

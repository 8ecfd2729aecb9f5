package org.crate4j.analysis;

/** Plain double-precision linear algebra for checking the tensor code independently. */
final class Dense {
    private Dense() {}

    /** log det of a symmetric positive-definite n×n matrix (row-major) by Cholesky. */
    static double logdetSpd(double[] a, int n) {
        double[] l = new double[n * n];
        double logdet = 0;
        for (int j = 0; j < n; j++) {
            double s = a[j * n + j];
            for (int k = 0; k < j; k++) {
                s -= l[j * n + k] * l[j * n + k];
            }
            if (s <= 0) {
                throw new ArithmeticException("matrix is not positive definite");
            }
            l[j * n + j] = Math.sqrt(s);
            logdet += 2 * Math.log(l[j * n + j]);
            for (int i = j + 1; i < n; i++) {
                double t = a[i * n + j];
                for (int k = 0; k < j; k++) {
                    t -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = t / l[j * n + j];
            }
        }
        return logdet;
    }

    /**
     * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations. Returns eigenvalues in
     * {@code values} (descending) and eigenvectors as columns of the returned row-major matrix.
     */
    static double[] jacobiEigen(double[] matrix, int n, double[] values) {
        double[] a = matrix.clone(), v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    off += a[p * n + q] * a[p * n + q];
                }
            }
            if (off < 1e-22) {
                break;
            }
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    double apq = a[p * n + q];
                    if (Math.abs(apq) < 1e-300) {
                        continue;
                    }
                    double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k * n + p], akq = a[k * n + q];
                        a[k * n + p] = c * akp - s * akq;
                        a[k * n + q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p * n + k], aqk = a[q * n + k];
                        a[p * n + k] = c * apk - s * aqk;
                        a[q * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k * n + p], vkq = v[k * n + q];
                        v[k * n + p] = c * vkp - s * vkq;
                        v[k * n + q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        final double[] diag = new double[n];
        for (int i = 0; i < n; i++) {
            diag[i] = a[i * n + i];
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(diag[y], diag[x]));
        double[] sorted = new double[n * n];
        for (int j = 0; j < n; j++) {
            values[j] = diag[order[j]];
            for (int k = 0; k < n; k++) {
                sorted[k * n + j] = v[k * n + order[j]];
            }
        }
        return sorted;
    }
}

package org.crate4j.model;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.engine.Device;
import org.crate4j.engine.OpProfiler;
import org.crate4j.engine.OpProfiler.Kind;
import org.crate4j.engine.Torch;

/**
 * CRATE's sparsification step (Yu et al. 2023, §2.4): one proximal-gradient (ISTA) step on
 * the non-negative LASSO {@code min_a λ‖a‖₁ + ½‖x − D·a‖²} started from a = x, against a square
 * dictionary D (d × d). With tokens as rows the textbook step is
 * <pre>
 *   ISTA(x) = ReLU(x + η·(x·D − (x·Dᵀ)·D) − η·λ)
 * </pre>
 * three GEMMs per token, as the reference spends them. The bracket is x·(D − Dᵀ·D) and the
 * residual folds in too, so we spend one: {@code ReLU(x·W − ηλ)} with {@code W = I + η(D − DᵀD)};
 * the gradient reaches D through W unchanged. Its tensor, under a key, is the reference's
 * {@code fn.weight} (d, d). CRATE-MAE's encoder uses the same step.
 */
public final class Ista {
    private final Parameters params;
    private final String key;
    private final double eta;
    private final double lambda;

    /**
     * @param key    the dictionary's key, e.g. {@code transformer.layers.0.1.fn.weight}
     * @param eta    the step size η
     * @param lambda the sparsity threshold λ
     */
    public Ista(Parameters params, String key, double eta, double lambda) {
        this.params = params;
        this.key = key;
        this.eta = eta;
        this.lambda = lambda;
    }

    /** The dictionary D (d, d) under {@code key}. */
    public static ParameterSpec spec(String key, int dim) {
        return ParameterSpec.dictionary(key, dim, dim);
    }

    /** ISTA(x) for tokens x (…, d). */
    public Tensor apply(Tensor x) {
        Tensor w = operator(dictionary(), eta);
        // x·W − ηλ as one GEMM that starts from the threshold (linear's bias)
        Tensor threshold = w.new_empty(w.size(1)).fill_(new Scalar(-eta * lambda));
        Tensor xw = OpProfiler.time(Kind.GEMM, () -> torch.linear(x, w.t(), new TensorOptional(threshold)));
        return Layers.relu(xw);
    }

    public Tensor dictionary() {
        return params.get(key);
    }

    /** W = I + η(D − Dᵀ·D), the ISTA step as one linear map. */
    public static Tensor operator(Tensor dictionary, double eta) {
        long d = dictionary.size(0);
        Tensor dtd = OpProfiler.time(Kind.GEMM, () -> torch.matmul(dictionary.t(), dictionary));
        return OpProfiler.time(Kind.ELEMENTWISE,
                () -> Torch.eye(Device.of(dictionary), dictionary.scalar_type(), d).add(dictionary.sub(dtd), new Scalar(eta)));
    }
}

package org.crate4j.alpha;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ODL, CRATE-α's sparsification step (overcomplete dictionary learning): two unrolled ISTA steps
 * on the non-negative LASSO {@code min_z λ‖z‖₁ + ½‖x − D·z‖²} over an overcomplete code
 * z ∈ ℝ^{r·d}, started from z₀ = 0, then the code decoded by a second dictionary D1 (both d × r·d):
 * <pre>
 *   z₁ = ReLU(η·Dᵀx − ηλ)
 *   z₂ = ReLU(z₁ − η·Dᵀ(D·z₁ − x) − ηλ)
 *   ODL(x) = D1·z₂
 * </pre>
 * Tokens are rows here, so Dᵀx is {@code x·D} and D·z is {@code z·Dᵀ}. The layer adds ODL(x) to
 * its input as a residual; z₂ is the sparse code the analysis measures.
 *
 * @param dictionary D, (d, r·d): the code is fitted against it
 * @param synthesis  D1, (d, r·d): the code is decoded with it
 */
public record Odl(Tensor dictionary, Tensor synthesis, double eta, double lambda) {

    /** The two ISTA iterates: z₁ and z₂ (the code), each (…, r·d). */
    public record Code(Tensor firstStep, Tensor code) {}

    public Code sparseCode(Tensor x) {
        Scalar threshold = new Scalar(eta * lambda);
        Tensor z1 = torch.relu(torch.matmul(x, dictionary).mul(new Scalar(eta)).sub(threshold));
        Tensor residual = torch.matmul(z1, dictionary.t()).sub(x);                   // D·z₁ − x
        Tensor z2 = torch.relu(z1.sub(torch.matmul(residual, dictionary), new Scalar(eta)).sub(threshold));
        return new Code(z1, z2);
    }

    /** D1·z: (…, r·d) → (…, d). */
    public Tensor decode(Tensor code) {
        return torch.matmul(code, synthesis.t());
    }

    public Tensor apply(Tensor x) {
        return decode(sparseCode(x).code());
    }
}

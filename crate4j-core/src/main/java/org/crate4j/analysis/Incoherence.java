package org.crate4j.analysis;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.StringViewOptional;
import org.bytedeco.pytorch.T_TensorTensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.crate4j.alpha.CrateAlpha;
import org.crate4j.engine.Device;
import org.crate4j.engine.Torch;
import org.crate4j.mae.CrateMae;
import org.crate4j.model.Crate;
import org.crate4j.model.ImageClassifier;
import org.crate4j.model.Mssa;

/**
 * How far a layer's weights are from the geometry CRATE's derivation assumes, read off the weights
 * alone (no data). The compression step is derived for subspaces that are incoherent, ideally
 * orthogonal (U_iᵀU_j = 0 for i ≠ j, each U_k an orthonormal basis), and the sparsification step
 * for a dictionary close to orthogonal; the reference code constrains neither, so these say how
 * much of the derivation a checkpoint still obeys.
 *
 * <ul>
 * <li><b>Subspace coherence</b>: max over pairs of heads i ≠ j of ‖Q_iᵀQ_j‖₂, the largest singular
 *     value, where Q_k is an orthonormal basis of span(U_k) and U_k (d × p) is head k's rows of
 *     {@code qkv.weight}, transposed. It is the cosine of the smallest principal angle between the
 *     two subspaces: 0 when they are orthogonal, 1 when they share a direction (inevitably so when
 *     2p > d). Orthonormalising first makes it a property of the subspaces, not of the scale or
 *     mixing of a learned basis, which the derivation leaves free.</li>
 * <li><b>Dictionary coherence</b>: ‖DᵀD − I‖_F / ‖I‖_F for the dictionary D (d × m) whose columns
 *     are the atoms, I the m × m identity: 0 when D is orthogonal. An overcomplete dictionary
 *     (CRATE-α's d × 4d) cannot reach 0: DᵀD has rank ≤ d, so the value is at least √(1 − d/m).</li>
 * </ul>
 */
public final class Incoherence {
    /** Singular values below this fraction of the largest do not count as directions of a basis. */
    static final double RANK_TOLERANCE = 1e-6;

    /**
     * One layer's figures.
     *
     * @param layer      0-based layer index
     * @param subspaces  the subspace coherence, or null with one head (no pair to compare)
     * @param heads      the pair of heads (i, j) attaining it, or null with one head
     * @param dictionary the dictionary coherence of the layer's sparsification step
     */
    public record Layer(int layer, Double subspaces, int[] heads, double dictionary) {}

    /** The coherence of a pair of heads and which pair. */
    public record Pair(double coherence, int first, int second) {}

    private Incoherence() {}

    /**
     * Every layer of a classifier whose layers are CRATE's subspaces and dictionary (CRATE,
     * CRATE-α); empty for the families without them (ViT's attention has separate queries and
     * keys, ToST's MLP no dictionary).
     */
    public static List<Layer> of(ImageClassifier model) {
        if (model instanceof Crate c) {
            return of(c);
        }
        if (model instanceof CrateAlpha a) {
            return of(a);
        }
        return List.of();
    }

    /** Every layer of a CRATE classifier: the compression step's subspaces (MSSA's or TSSA's) and ISTA's dictionary. */
    public static List<Layer> of(Crate model) {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < model.config().depth(); i++) {
            out.add(layer(i, model.subspaceBases(i), model.config().heads(), model.ista(i).dictionary()));
        }
        return out;
    }

    /** Every encoder layer of a CRATE-MAE: the compression step's subspaces (MSSA's or TSSA's) and ISTA's dictionary. */
    public static List<Layer> of(CrateMae model) {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < model.config().encoderDepth(); i++) {
            out.add(layer(i, model.encoderSubspaceBases(i), model.config().encoderHeads(), model.encoderIsta(i).dictionary()));
        }
        return out;
    }

    /** Every layer of a CRATE-α: MSSA's subspaces and ODL's dictionary D (the one the code is fitted against). */
    public static List<Layer> of(CrateAlpha model) {
        List<Layer> out = new ArrayList<>();
        for (int i = 0; i < model.config().depth(); i++) {
            Mssa mssa = model.mssa(i);
            out.add(layer(i, mssa.subspaceBases(), mssa.heads(), model.odl(i).dictionary()));
        }
        return out;
    }

    static Layer layer(int index, Tensor subspaceBases, int heads, Tensor dictionary) {
        Pair p = subspaces(subspaceBases, heads);
        return new Layer(index, p == null ? null : p.coherence(), p == null ? null : new int[] {p.first(), p.second()},
                dictionary(dictionary));
    }

    /**
     * The subspace coherence of the heads of {@code qkvWeight} (h·p, d), rows of head k being U_kᵀ;
     * null for one head.
     */
    public static Pair subspaces(Tensor qkvWeight, int heads) {
        if (heads < 2) {
            return null;
        }
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor w = Tensors.asDouble(qkvWeight);
            long p = w.size(0) / heads;
            List<Tensor> bases = new ArrayList<>();
            for (int k = 0; k < heads; k++) {
                bases.add(orthonormalBasis(w.narrow(0, k * p, p).t()));
            }
            Pair worst = new Pair(0, 0, 1);
            for (int i = 0; i < heads; i++) {
                for (int j = i + 1; j < heads; j++) {
                    double c = largestCosine(bases.get(i), bases.get(j));
                    if (c > worst.coherence()) {
                        worst = new Pair(c, i, j);
                    }
                }
            }
            return worst;
        }
    }

    /** ‖DᵀD − I‖_F / ‖I‖_F for a dictionary D (d, m) whose columns are the atoms. */
    public static double dictionary(Tensor d) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor x = Tensors.asDouble(d);
            long m = x.size(1);
            Tensor gram = torch.matmul(x.t(), x);
            Tensor off = gram.sub(Torch.eye(Device.CPU, torch.ScalarType.Double, m));
            return off.square().sum().sqrt().item_double() / Math.sqrt(m);
        }
    }

    /** The left singular vectors of {@code u} (d × p) that span its range: (d, rank). */
    private static Tensor orthonormalBasis(Tensor u) {
        T_TensorTensorTensor_T svd = torch.linalg_svd(u, false, new StringViewOptional());
        double[] s = Tensors.toDoubles(svd.get1());
        int rank = 0;
        while (rank < s.length && s[rank] > RANK_TOLERANCE * s[0]) {
            rank++;
        }
        return svd.get0().narrow(1, 0, rank);
    }

    /** cos of the smallest principal angle between span(a) and span(b): σ_max(aᵀb), 0 when either is empty. */
    private static double largestCosine(Tensor a, Tensor b) {
        if (a.size(1) == 0 || b.size(1) == 0) {
            return 0;
        }
        double[] s = Tensors.toDoubles(torch.linalg_svdvals(torch.matmul(a.t(), b), new StringViewOptional()));
        return Math.min(1.0, s[0]);
    }
}

package org.crate4j.tost;

import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * What a ToST forward computed, block by block, for looking inside the white box. Tensors are
 * detached.
 *
 * @param embedded       the stem's tokens plus the position encoding (B, N, d)
 * @param blocks         every TSSA block
 * @param classAttention every class-attention block
 * @param features       the normalised class token the head reads (B, d)
 * @param logits         (B, classes)
 */
public record TostTrace(Tensor embedded, List<Block> blocks, List<ClassAttention> classAttention, Tensor features, Tensor logits) {

    /** Π of every TSSA block, (B, h, N) each: per head, how strongly each patch token belongs to it. */
    public List<Tensor> memberships() {
        return blocks.stream().map(Block::pi).toList();
    }

    /** Every block's output in order: the TSSA blocks' (B, N, d), then the class-attention blocks' (B, 1 + N, d). */
    public List<Tensor> outputs() {
        List<Tensor> out = new java.util.ArrayList<>(blocks.stream().map(Block::output).toList());
        classAttention.forEach(c -> out.add(c.output()));
        return out;
    }

    /**
     * One TSSA block: {@code compressed = input + γ₁ ⊙ TSSA(LN₁(input))},
     * {@code output = compressed + γ₂ ⊙ MLP(LN₂(compressed))}.
     *
     * @param projections w, TSSA's per-head projections of LN₁(input) (B, h, N, k)
     * @param pi          Π, each token's membership of each head (B, h, N): TSSA's counterpart
     *                    of an attention map (summing to 1 over the heads, not the tokens)
     */
    public record Block(Tensor input, Tensor projections, Tensor pi, Tensor compressed, Tensor output) {}

    /**
     * One class-attention block.
     *
     * @param attention the class token's softmax weights over all tokens, class token first (B, h, 1 + N)
     * @param output    the block's output (B, 1 + N, d)
     */
    public record ClassAttention(Tensor attention, Tensor output) {}
}

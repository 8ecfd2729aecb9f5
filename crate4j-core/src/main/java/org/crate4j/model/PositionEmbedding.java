package org.crate4j.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** Position embeddings for other image sizes than the trained one (docs/architecture.md §4). */
public final class PositionEmbedding {
    private PositionEmbedding() {}

    /**
     * Resizes (1, 1 + gh·gw, d) to (1, 1 + nh·nw, d): bicubic interpolation of the patch-grid
     * part, the class entry kept. Returns the input itself when the grid is unchanged.
     */
    public static Tensor resize(Tensor pos, int gh, int gw, int nh, int nw) {
        if (gh == nh && gw == nw) {
            return pos;
        }
        long d = pos.size(2);
        Tensor cls = pos.narrow(1, 0, 1);
        Tensor grid = pos.narrow(1, 1, (long) gh * gw).reshape(1, gh, gw, d).permute(0, 3, 1, 2);
        Tensor resized = torch.upsample_bicubic2d(grid, new long[] {nh, nw}, false)
                .permute(0, 2, 3, 1).reshape(1, (long) nh * nw, d);
        return torch.cat(new TensorVector(cls, resized), 1);
    }
}

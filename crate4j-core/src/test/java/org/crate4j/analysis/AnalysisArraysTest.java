package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.crate4j.checkpoint.DType;
import org.crate4j.checkpoint.RawTensor;
import org.crate4j.checkpoint.Safetensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arrays files read back with the shapes, types, values and metadata that were written, and nothing else is left behind. */
class AnalysisArraysTest {
    @TempDir
    Path tmp;

    private Safetensors.Contents roundTrip(String kind, OnPatchGrid r, Map<String, RawTensor> arrays) throws Exception {
        Path file = tmp.resolve(kind + ".safetensors");
        AnalysisArrays.write(file, arrays, AnalysisArrays.metadata(kind, r, Map.of("image", "cat")));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(Map.of("kind", kind, "version", "1", "layer", Integer.toString(r.layer()),
                "grid", "[" + r.gridHeight() + ", " + r.gridWidth() + "]", "image", "cat"), c.metadata());
        return c;
    }

    private static void assertTensor(RawTensor t, DType dtype, long[] shape, float[] values) {
        assertEquals(dtype, t.dtype());
        assertArrayEquals(shape, t.shape());
        assertArrayEquals(values, t.toFloats(), 0f);
    }

    @Test
    void attentionIsHeadsByRowsByColumnsWithTheClassTokenApart() throws Exception {
        float[][] toPatches = {{0.1f, 0.2f, 0.05f, 0.15f, 0.1f, 0.3f}, {0.3f, 0.1f, 0.1f, 0.1f, 0.2f, 0.1f}};
        ClassTokenAttention a = new ClassTokenAttention(3, 2, 3, new float[] {0.1f, 0.1f}, toPatches);
        Safetensors.Contents c = roundTrip("attention", a, AnalysisArrays.of(a));
        assertEquals(List.of("attention", "class_token"), List.copyOf(c.tensors().keySet()));
        // [j, y, x] is head j's patch y·3 + x
        assertTensor(c.tensors().get("attention"), DType.F32, new long[] {2, 2, 3},
                new float[] {0.1f, 0.2f, 0.05f, 0.15f, 0.1f, 0.3f, 0.3f, 0.1f, 0.1f, 0.1f, 0.2f, 0.1f});
        assertTensor(c.tensors().get("class_token"), DType.F32, new long[] {2}, new float[] {0.1f, 0.1f});
    }

    @Test
    void pcaHoldsComponentsTheForegroundMaskAndThePooledVariances() throws Exception {
        float[][] comps = {{1, -1, 2, 0}, {0.5f, 0, 0, -0.5f}};
        PcaMaps m = new PcaMaps(11, 2, 2, 3, new double[] {4, 1}, new double[] {0.8, 0.2}, comps,
                new boolean[] {true, false, true, false});
        Safetensors.Contents c = roundTrip("pca", m, AnalysisArrays.of(m));
        assertTensor(c.tensors().get("components"), DType.F32, new long[] {2, 2, 2}, new float[] {1, -1, 2, 0, 0.5f, 0, 0, -0.5f});
        assertTensor(c.tensors().get("foreground"), DType.BOOL, new long[] {2, 2}, new float[] {1, 0, 1, 0});
        assertTensor(c.tensors().get("explained_variance"), DType.F32, new long[] {2}, new float[] {4, 1});
        assertTensor(c.tensors().get("explained_variance_ratio"), DType.F32, new long[] {2}, new float[] {0.8f, 0.2f});
    }

    @Test
    void segmentHoldsMasksLabelsScoresAndPixelBoxes() throws Exception {
        // grid 2×3 on a 4×9 image: each patch is 2 rows × 3 columns of pixels
        boolean[] first = {false, true, true, false, false, false}, second = {false, false, false, true, false, false};
        boolean[][] coarse = {{true, true, false, false, false, false}, {false, false, false, false, true, true}};
        ImageSegmentation.Result r = new ImageSegmentation.Result(10, 2, 3, null, coarse,
                List.of(new MaskCut.Found(first, 2, 0.75), new MaskCut.Found(second, 3, 0.5)));
        Safetensors.Contents c = roundTrip("segment", r, AnalysisArrays.of(r, 4, 9));
        assertTensor(c.tensors().get("coarse_masks"), DType.BOOL, new long[] {2, 2, 3}, new float[] {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1});
        assertTensor(c.tensors().get("objects"), DType.BOOL, new long[] {2, 2, 3}, new float[] {0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0});
        assertTensor(c.tensors().get("labels"), DType.I32, new long[] {2, 3}, new float[] {0, 1, 1, 2, 0, 0});
        assertTensor(c.tensors().get("scores"), DType.F32, new long[] {2}, new float[] {0.75f, 0.5f});
        assertTensor(c.tensors().get("boxes"), DType.I32, new long[] {2, 4}, new float[] {3, 0, 9, 2, 0, 2, 3, 4});
    }

    @Test
    void anImageWithoutObjectsGivesEmptyArraysThatStillReadBack() throws Exception {
        ImageSegmentation.Result r = new ImageSegmentation.Result(0, 2, 2, null, new boolean[][] {{true, false, false, false}}, List.of());
        Safetensors.Contents c = roundTrip("segment", r, AnalysisArrays.of(r, 8, 8));
        assertArrayEquals(new long[] {0, 2, 2}, c.tensors().get("objects").shape());
        assertArrayEquals(new long[] {0, 4}, c.tensors().get("boxes").shape());
        assertTensor(c.tensors().get("labels"), DType.I32, new long[] {2, 2}, new float[] {0, 0, 0, 0});
    }
}

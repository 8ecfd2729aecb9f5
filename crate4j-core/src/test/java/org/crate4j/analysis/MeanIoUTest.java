package org.crate4j.analysis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeanIoUTest {
    @Test
    void sumsIntersectionsAndUnionsOverImagesAndIgnores255() {
        MeanIoU m = new MeanIoU(3);
        // image 1: truth  0 0 1 1 | prediction 0 1 1 1
        m.add(new int[] {0, 1, 1, 1}, new int[] {0, 0, 1, 1});
        // image 2: truth  2 2 255 0 | prediction 2 0 2 0 (the 255 pixel counts nowhere)
        m.add(new int[] {2, 0, 2, 0}, new int[] {2, 2, 255, 0});
        // class 0: I = 1 + 1 = 2, U = (2 true + 1 predicted… ) → pixels with t=0 or p=0: img1 {0,1}, img2 {1,3} = 4
        // class 1: I = 2, U = img1 {1,2,3} = 3
        // class 2: I = 1, U = img2 {0,1} = 2
        assertArrayEquals(new double[] {2 / 4.0, 2 / 3.0, 1 / 2.0}, m.perClass(), 1e-15);
        assertEquals((0.5 + 2 / 3.0 + 0.5) / 3, m.mean(), 1e-15);
    }

    @Test
    void classesThatNeverOccurAreLeftOutOfTheMean() {
        MeanIoU m = new MeanIoU(4);
        m.add(new int[] {0, 1}, new int[] {0, 1});
        assertTrue(Double.isNaN(m.perClass()[3]));
        assertEquals(1.0, m.mean(), 0);
    }

    @Test
    void imageClassIsTheMostFrequentForegroundLabel() {
        assertEquals(2, MeanIoU.imageClass(new int[] {0, 0, 0, 2, 2, 1, 255, 255, 255}));
        assertEquals(0, MeanIoU.imageClass(new int[] {0, 255}));
        assertEquals(3, MeanIoU.classCount(List.of(new int[] {0, 2, 255})));
    }

    @Test
    void coarseSegmentationChoosesTheBestHeadPerClass() {
        int[] truthA = {0, 1, 1, 0}, truthB = {2, 2, 0, 0};
        boolean[][] headsA = {{false, true, true, false}, {true, false, false, true}}; // head 0 perfect on class 1
        boolean[][] headsB = {{false, false, true, true}, {true, true, false, false}}; // head 1 perfect on class 2
        CoarseSegmentation.Evaluation e = CoarseSegmentation.evaluate(List.of(headsA, headsB), List.of(truthA, truthB), 3);
        assertArrayEquals(new int[] {0, 0, 1}, e.bestHead());
        assertEquals(1.0, e.meanIoU(), 1e-15);
        assertTrue(e.perHead()[0] < 1 && e.perHead()[1] < 1, "no single head is perfect on both");
    }

    @Test
    void keepMassKeepsTheSmallestSetReachingTheFraction() {
        float[] w = {0.5f, 0.125f, 0.25f, 0.125f}; // exact in binary, so the boundary case is exact
        assertArrayEquals(new boolean[] {true, false, true, false}, CoarseSegmentation.keepMass(w, 0.6));
        assertArrayEquals(new boolean[] {true, false, false, false}, CoarseSegmentation.keepMass(w, 0.5));
        assertArrayEquals(new boolean[] {true, true, true, true}, CoarseSegmentation.keepMass(w, 1.0));
        // the mass is relative to the map's own total, not to 1
        assertArrayEquals(new boolean[] {false, true, false}, CoarseSegmentation.keepMass(new float[] {1, 6, 3}, 0.6));
    }

    @Test
    void centredBoxCoversTheRequestedAreaInTheMiddle() {
        assertArrayEquals(new int[] {16, 16, 48, 48}, CenteredBoxBaseline.box(64, 64, 0.25));
        assertEquals(32 * 32, PatchGrid.count(CenteredBoxBaseline.mask(64, 64, 0.25)));
    }
}

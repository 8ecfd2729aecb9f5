package org.crate4j.checkpoint;

import static org.crate4j.checkpoint.ExpectedValues.assertMatches;
import static org.crate4j.checkpoint.ExpectedValues.expected;
import static org.crate4j.checkpoint.ExpectedValues.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Files written by PyTorch 1.13 itself (make_fixtures.py), read back value for value. */
class TorchCheckpointTest {

    @Test
    void readsClassifierCheckpointWithOptimizerState() throws IOException {
        Object tree = TorchCheckpoint.read(fixture("classifier.pth.tar"));
        assertMatches(expected("classifier.pth.tar").get("tree"), tree, "checkpoint");
        Map<?, ?> top = (Map<?, ?>) tree;
        assertEquals(3L, top.get("epoch"));
        Map<?, ?> optimizerState = (Map<?, ?>) ((Map<?, ?>) top.get("optimizer")).get("state");
        assertEquals(List.of("0", "1", "2", "3", "4", "5"), new ArrayList<>(optimizerState.keySet()),
                "integer parameter ids read as Python's str()");
    }

    @Test
    void loadsStateDictWithModulePrefixStripped() throws IOException {
        JsonObject expected = expected("classifier.pth.tar");
        LinkedHashMap<String, RawTensor> state = TorchCheckpoint.readStateDict(fixture("classifier.pth.tar"));
        List<String> keys = new ArrayList<>();
        expected.getAsJsonArray("state_dict_keys").forEach(k -> keys.add(k.getAsString()));
        assertEquals(keys, new ArrayList<>(state.keySet()));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"), keys);
        JsonObject pythonState = expected.getAsJsonObject("tree").getAsJsonObject("state_dict");
        for (String key : keys) {
            assertMatches(pythonState.get("module." + key), state.get(key), key);
        }
        assertArrayEquals(new long[] {3, 4}, state.get("0.weight").shape());
    }

    @Test
    void materialisesTransposesSlicesAndSharedStorages() throws IOException {
        Object tree = TorchCheckpoint.read(fixture("views.pth"));
        assertMatches(expected("views.pth").get("tree"), tree, "views");
        Map<?, ?> views = (Map<?, ?>) tree;
        // base = arange(24).reshape(4, 6); these are its views, read without any Python help
        assertArrayEquals(new float[] {12, 13, 14, 15, 16, 17}, ((RawTensor) views.get("shared_row")).toFloats());
        assertArrayEquals(new float[] {8, 9, 10, 14, 15, 16}, ((RawTensor) views.get("block")).toFloats());
        assertArrayEquals(new float[] {7}, ((RawTensor) views.get("scalar_view")).toFloats());
        assertArrayEquals(new long[0], ((RawTensor) views.get("scalar_view")).shape());
        assertArrayEquals(new long[] {5, 3}, ((RawTensor) views.get("transposed")).shape());
    }

    @Test
    void readsEveryDtypeExactly() throws IOException {
        Object tree = TorchCheckpoint.read(fixture("dtypes.pth"));
        assertMatches(expected("dtypes.pth").get("tree"), tree, "dtypes");
        Map<?, ?> tensors = (Map<?, ?>) tree;
        assertArrayEquals(new float[] {1f, -0.5f, 65504f, 5.9604645e-8f, 0.099975586f},
                ((RawTensor) tensors.get("f16")).toFloats());
        assertArrayEquals(new float[] {1f, 0f, 1f}, ((RawTensor) tensors.get("bool")).toFloats());
        assertArrayEquals(new float[] {0f, 255f, 128f}, ((RawTensor) tensors.get("u8")).toFloats());
    }

    @Test
    void readsNamespaceNumpyScalarsAndPlainValues() throws IOException {
        Object tree = TorchCheckpoint.read(fixture("training_state.pth"));
        assertMatches(expected("training_state.pth").get("tree"), tree, "training_state");
        Map<?, ?> top = (Map<?, ?>) tree;
        PickledObject args = assertInstanceOf(PickledObject.class, top.get("args"));
        assertEquals("argparse.Namespace", args.className());
        Map<?, ?> fields = (Map<?, ?>) args.state();
        assertEquals(1.5e-4, fields.get("lr"));
        assertEquals("/tmp/out/run1", fields.get("output_dir"));
        assertEquals(0.25, top.get("np_f64"));
        assertEquals(-7L, top.get("np_i64"));
        assertEquals(Boolean.TRUE, top.get("np_bool"));
        assertEquals(List.of("blocks.0.norm.weight", "head.weight"),
                new ArrayList<>(TorchCheckpoint.readStateDict(fixture("training_state.pth")).keySet()));
    }

    @Test
    void readsBigEndianArchiveUnderAnyRootFolder() throws IOException {
        assertMatches(expected("big_endian.pth").get("tree"), TorchCheckpoint.read(fixture("big_endian.pth")), "big_endian");
    }

    @Test
    void readsLegacyPre16Format() throws IOException {
        JsonObject expected = expected("legacy.pth");
        Object tree = TorchCheckpoint.read(fixture("legacy.pth"));
        assertMatches(expected.get("tree"), tree, "legacy");
        LinkedHashMap<String, RawTensor> state = TorchCheckpoint.readStateDict(fixture("legacy.pth"));
        assertEquals(List.of("weight", "weight_t", "row", "half", "steps"), new ArrayList<>(state.keySet()));
        float[] w = state.get("weight").toFloats();
        float[] wt = state.get("weight_t").toFloats();
        assertEquals(w[1 * 4 + 2], wt[2 * 3 + 1], "transpose shares the weight's storage");
    }

    @Test
    void readsHandWrittenStridedView() {
        // storage [1, 2, 3, 4] viewed with size (2, 2), stride (1, 2): column-major, so [[1, 3], [2, 4]]
        Map<?, ?> top = (Map<?, ?>) TorchCheckpoint.read(fixture("good_handmade.pth"));
        assertArrayEquals(new float[] {1, 3, 2, 4}, ((RawTensor) top.get("w")).toFloats());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void readsPlainValuesInEveryPickleProtocol(int protocol) throws IOException {
        byte[] bytes = Files.readAllBytes(fixture("plain_p" + protocol + ".pkl"));
        String where = "pickle p" + protocol;
        TorchStorage.Source noStorages = new TorchStorage.Source() {
            @Override
            public void check(TorchStorage storage) {
                throw new AssertionError("no storages expected");
            }

            @Override
            public byte[] read(TorchStorage storage, long from, int length) {
                throw new AssertionError("no storages expected");
            }
        };
        Object value = new Unpickler(PickleInput.of(where, bytes),
                new TorchGlobals(where, Policy.STRICT, noStorages, true), where).load();
        JsonElement expected = expected("plain").get("tree");
        assertMatches(expected, value, "p" + protocol);
        List<?> shared = (List<?>) ((Map<?, ?>) value).get("shared");
        assertSame(shared.get(0), shared.get(1), "memo keeps one shared list");
    }
}

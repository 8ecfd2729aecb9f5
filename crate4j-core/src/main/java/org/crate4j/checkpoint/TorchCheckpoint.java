package org.crate4j.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crate4j.CrateException;
import org.crate4j.io.Inputs;

/**
 * Reads torch.save files safely. Python's loader runs whatever the pickle names; this reader only
 * interprets tensors, containers and plain values, and never executes anything from the file.
 */
public final class TorchCheckpoint {
    /** Wrapper keys training scripts put the state dict under, in the order they are tried. */
    private static final List<String> WRAPPERS = List.of("state_dict", "model", "net", "module");
    private static final String DATA_PARALLEL_PREFIX = "module.";

    private TorchCheckpoint() {}

    /**
     * The whole unpickled object tree, with unknown globals kept as inert {@link PickledObject}s.
     * Dicts and OrderedDicts are LinkedHashMap&lt;String, Object&gt; (non-string keys as Python's str()),
     * lists, tuples and sets are List, and values are String, Long (BigInteger beyond 64 bits),
     * Double, Boolean, null, byte[], RawTensor or PickledObject.
     */
    public static Object read(Path file) {
        return read(file, Policy.INERT);
    }

    /** As {@link #read(Path)}; {@link Policy#STRICT} refuses any global outside the whitelist. */
    public static Object read(Path file, Policy policy) {
        String where = "checkpoint " + file.getFileName();
        Inputs.requireFile(file, "checkpoint");
        byte[] magic;
        try (InputStream in = Files.newInputStream(file)) {
            magic = in.readNBytes(4);
        } catch (IOException e) {
            throw new CrateException(where + ": cannot read (" + e.getMessage() + "); check the file is readable", e);
        }
        if (magic.length == 4 && magic[0] == 'P' && magic[1] == 'K') {
            return ZipCheckpoint.read(file, where, policy);
        }
        if (magic.length > 0 && (magic[0] & 0xFF) == 0x80) { // PROTO opcode: a pre-1.6 sequence of pickles
            return LegacyCheckpoint.read(file, where, policy);
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : magic) {
            hex.append(String.format(" %02x", b));
        }
        throw new CrateException(where + " is neither a zip archive nor a legacy torch pickle (starts with bytes"
                + (hex.length() == 0 ? " none" : hex) + "); it is not a PyTorch checkpoint: check the path or re-download it");
    }

    /**
     * The state dict inside: unwraps a top-level 'state_dict', 'model', 'net' or 'module' entry (the
     * first that is a dict holding tensors), strips a leading 'module.' (DataParallel) from every key,
     * and keeps only tensor entries, in file order.
     */
    public static LinkedHashMap<String, RawTensor> readStateDict(Path file) {
        return readStateDict(file, Policy.INERT);
    }

    /** As {@link #readStateDict(Path)} with the given policy for unknown globals. */
    public static LinkedHashMap<String, RawTensor> readStateDict(Path file, Policy policy) {
        return stateDictOf(read(file, policy), "checkpoint " + file.getFileName());
    }

    /**
     * Where the state dict sat in a torch.save file, which tells the script that wrote it: the
     * wrapper key ({@code null}: the top level), whether keys carried DataParallel's
     * {@code module.} prefix, and the other top-level entries (epoch, optimizer …), which are not read.
     */
    public record Envelope(String wrapper, boolean dataParallel, List<String> otherEntries) {}

    /** The envelope of an object tree from {@link #read(Path)}. */
    public static Envelope envelopeOf(Object root, String where) {
        Map<?, ?> top = topLevel(root, where);
        String wrapper = wrapperOf(top);
        Map<?, ?> chosen = wrapper == null ? top : (Map<?, ?>) top.get(wrapper);
        boolean dataParallel = chosen.keySet().stream().anyMatch(k -> String.valueOf(k).startsWith(DATA_PARALLEL_PREFIX));
        List<String> other = new ArrayList<>();
        for (Object k : top.keySet()) {
            if (!String.valueOf(k).equals(wrapper) && !(wrapper == null && top.get(k) instanceof RawTensor)) {
                other.add(String.valueOf(k));
            }
        }
        return new Envelope(wrapper, dataParallel, other);
    }

    private static Map<?, ?> topLevel(Object root, String where) {
        if (!(root instanceof Map<?, ?> top)) {
            throw new CrateException(where + " holds " + TorchGlobals.describe(root) + " rather than a dict; "
                    + "save model.state_dict() instead of the model object");
        }
        return top;
    }

    /** The first wrapper key holding a dict of tensors, or null when the tensors sit at the top level. */
    private static String wrapperOf(Map<?, ?> top) {
        for (String wrapper : WRAPPERS) {
            if (top.get(wrapper) instanceof Map<?, ?> inner && holdsTensors(inner)) {
                return wrapper;
            }
        }
        return null;
    }

    /** The state dict inside an already-read object tree (see {@link #readStateDict(Path)}). */
    public static LinkedHashMap<String, RawTensor> stateDictOf(Object root, String where) {
        Map<?, ?> top = topLevel(root, where);
        String wrapper = wrapperOf(top);
        Map<?, ?> chosen = wrapper != null ? (Map<?, ?>) top.get(wrapper) : holdsTensors(top) ? top : null;
        if (chosen == null) {
            List<Object> keys = new ArrayList<>(top.keySet());
            throw new CrateException(where + " holds no state dict: top-level keys are "
                    + (keys.size() > 10 ? keys.subList(0, 10) + "..." : keys)
                    + "; expected tensors at the top level or under 'state_dict', 'model', 'net' or 'module'");
        }
        LinkedHashMap<String, RawTensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : chosen.entrySet()) {
            if (e.getValue() instanceof RawTensor t) {
                String key = (String) e.getKey();
                String name = key.startsWith(DATA_PARALLEL_PREFIX) ? key.substring(DATA_PARALLEL_PREFIX.length()) : key;
                if (tensors.put(name, t) != null) {
                    throw new CrateException(where + ": keys 'module." + name + "' and '" + name
                            + "' both name tensor '" + name + "' once the DataParallel prefix is stripped; keep one of them");
                }
            }
        }
        return tensors;
    }

    private static boolean holdsTensors(Map<?, ?> map) {
        return map.values().stream().anyMatch(v -> v instanceof RawTensor);
    }
}

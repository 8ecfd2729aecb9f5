package org.crate4j.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.crate4j.CrateException;

/**
 * The fixed whitelist of Python globals a torch checkpoint may name, each mapped to inert Java
 * handling. Python's loader would import and call whatever the pickle names; here a name either
 * has a handler below or becomes a {@link PickledObject} (or, under {@link Policy#STRICT}, an error).
 * Nothing is looked up by reflection.
 */
final class TorchGlobals implements Unpickler.Interpreter {

    private static final Map<String, DType> STORAGE_TYPES = new HashMap<>();
    private static final Map<String, DType> TORCH_DTYPES = new HashMap<>();
    private static final Set<String> INERT_CLASSES = Set.of(
            "argparse.Namespace", "builtins.slice", "builtins.complex", "builtins.object", "numpy.dtype",
            "numpy.ndarray", "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
            "torch.nn.parameter.Parameter", "torch.Tensor", "torch._tensor.Tensor", "torch.storage.TypedStorage");

    /** Classes that NEWOBJ may create empty before the pickle fills them with items. */
    private static final Set<String> CONTAINERS = Set.of("collections.OrderedDict", "collections.defaultdict",
            "builtins.dict", "builtins.set", "builtins.frozenset");

    static {
        Object[][] storages = {
                {"Double", DType.F64}, {"Float", DType.F32}, {"Half", DType.F16}, {"BFloat16", DType.BF16},
                {"Long", DType.I64}, {"Int", DType.I32}, {"Short", DType.I16}, {"Char", DType.I8},
                {"Byte", DType.U8}, {"Bool", DType.BOOL}};
        for (Object[] s : storages) {
            STORAGE_TYPES.put("torch." + s[0] + "Storage", (DType) s[1]);
            STORAGE_TYPES.put("torch.cuda." + s[0] + "Storage", (DType) s[1]); // files saved from GPU by old torch
        }
        for (String untyped : List.of("torch.UntypedStorage", "torch.storage.UntypedStorage", "torch.storage._UntypedStorage")) {
            STORAGE_TYPES.put(untyped, DType.U8); // numel counts bytes
        }
        Object[][] dtypes = {
                {"float64", DType.F64}, {"double", DType.F64}, {"float32", DType.F32}, {"float", DType.F32},
                {"float16", DType.F16}, {"half", DType.F16}, {"bfloat16", DType.BF16}, {"int64", DType.I64},
                {"long", DType.I64}, {"int32", DType.I32}, {"int", DType.I32}, {"int16", DType.I16},
                {"short", DType.I16}, {"int8", DType.I8}, {"uint8", DType.U8}, {"bool", DType.BOOL}};
        for (Object[] d : dtypes) {
            TORCH_DTYPES.put("torch." + d[0], (DType) d[1]);
        }
    }

    private final Map<String, Function<List<Object>, Object>> calls = new HashMap<>();
    private final String where;
    private final Policy policy;
    private final TorchStorage.Source source;
    private final boolean materialise;
    /** Which pushed objects are bare global references, and which are storages. */
    private final IdentityHashMap<Object, String> globalRefs = new IdentityHashMap<>();
    private final IdentityHashMap<Object, TorchStorage> storages = new IdentityHashMap<>();

    /**
     * @param materialise false for a dry pass that only collects storage declarations (legacy files,
     *                    whose storage bytes come after the pickle)
     */
    TorchGlobals(String where, Policy policy, TorchStorage.Source source, boolean materialise) {
        this.where = where;
        this.policy = policy;
        this.source = source;
        this.materialise = materialise;
        for (String dict : List.of("collections.OrderedDict", "collections.defaultdict", "builtins.dict")) {
            calls.put(dict, this::dict);
        }
        for (String set : List.of("builtins.set", "builtins.frozenset")) {
            calls.put(set, args -> args.isEmpty() ? new ArrayList<>() : new ArrayList<>(list(args.get(0))));
        }
        calls.put("_codecs.encode", args -> encode(args.get(0), args.size() > 1 ? (String) args.get(1) : "utf-8"));
        for (String bytes : List.of("builtins.bytes", "builtins.bytearray")) {
            calls.put(bytes, args -> args.isEmpty() ? new byte[0] : bytes(args.get(0)));
        }
        calls.put("torch.device", this::device);
        calls.put("torch.Size", args -> new ArrayList<>(list(args.get(0))));
        for (String path : List.of("pathlib.Path", "pathlib.PosixPath", "pathlib.PurePosixPath",
                "pathlib.WindowsPath", "pathlib.PureWindowsPath")) {
            calls.put(path, TorchGlobals::path);
        }
        calls.put("copyreg._reconstructor", args -> newObject(args.get(0), new ArrayList<>(), Map.of()));
        for (String scalar : List.of("numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar")) {
            calls.put(scalar, args -> NumpyScalars.decode(args, where));
        }
        calls.put("torch._utils._rebuild_tensor", args -> tensor(args, null));
        calls.put("torch._utils._rebuild_tensor_v2", args -> tensor(args, null));
        calls.put("torch._utils._rebuild_tensor_v3", args -> tensor(args, dtypeOf(args.get(6))));
        calls.put("torch._utils._rebuild_parameter", args -> args.get(0));
        calls.put("torch._utils._rebuild_parameter_with_state", args -> args.get(0));
        calls.put("torch._tensor._rebuild_from_type_v2", args -> call(args.get(0), new ArrayList<>(list(args.get(2)))));
    }

    @Override
    public Object global(String module, String name) {
        String qualified = canonicalModule(module) + "." + name;
        if (policy == Policy.STRICT && !isWhitelisted(qualified)) {
            throw new CrateException(where + ": pickle names global '" + qualified
                    + "', which crate4j will not load; only tensors, containers and plain values are read");
        }
        PickledObject ref = new PickledObject(qualified, List.of(), null);
        globalRefs.put(ref, qualified);
        return ref;
    }

    /** Protocols 0-2 spell Python 3 modules by their Python 2 names; read them as Python 3 would. */
    private static String canonicalModule(String module) {
        return switch (module) {
            case "__builtin__" -> "builtins";
            case "copy_reg" -> "copyreg";
            default -> module;
        };
    }

    private boolean isWhitelisted(String qualified) {
        return calls.containsKey(qualified) || STORAGE_TYPES.containsKey(qualified)
                || TORCH_DTYPES.containsKey(qualified) || INERT_CLASSES.contains(qualified);
    }

    @Override
    public Object call(Object callable, List<Object> args) {
        String name = globalRefs.get(callable);
        if (name != null && calls.containsKey(name)) {
            return calls.get(name).apply(args);
        }
        if (callable instanceof PickledObject o) {
            return new PickledObject(o.className(), args, null); // recorded, never called
        }
        throw new CrateException(where + ": pickle calls a " + describe(callable)
                + ", which is not a named global; the file is corrupt or hostile");
    }

    @Override
    public Object newObject(Object cls, List<Object> args, Map<String, Object> kwargs) {
        String name = globalRefs.get(cls);
        if (name != null && CONTAINERS.contains(name)) {
            return calls.get(name).apply(List.of()); // an empty container, filled by the items that follow
        }
        if (cls instanceof PickledObject o) {
            List<Object> all = new ArrayList<>(args);
            if (!kwargs.isEmpty()) {
                all.add(kwargs);
            }
            return new PickledObject(o.className(), all, null);
        }
        throw new CrateException(where + ": pickle instantiates a " + describe(cls)
                + ", which is not a named class; the file is corrupt or hostile");
    }

    @Override
    public Object persistentLoad(Object pid) {
        if (!(pid instanceof List<?> id) || id.size() < 5 || !"storage".equals(id.get(0))) {
            throw new CrateException(where + ": pickle refers to external data " + PythonText.abbreviate(PythonText.str(pid))
                    + " that is not a torch storage; crate4j reads storages only");
        }
        DType dtype = dtypeOf(id.get(1));
        String key = PythonText.str(id.get(2));
        if (!(id.get(4) instanceof Long numel) || numel < 0) {
            throw new CrateException(where + ": storage '" + key + "' declares " + id.get(4) + " elements; the file is corrupt");
        }
        if (id.size() > 5 && id.get(5) != null) {
            throw new CrateException(where + ": storage '" + key + "' is a pre-0.4 storage view, which crate4j does not read; "
                    + "re-save the checkpoint with a current PyTorch");
        }
        TorchStorage storage = new TorchStorage(key, dtype, numel);
        source.check(storage);
        PickledObject handle = new PickledObject(((PickledObject) id.get(1)).className(), List.of(key, numel), null);
        storages.put(handle, storage);
        return handle;
    }

    private Object tensor(List<Object> args, DType override) {
        TorchStorage storage = storages.get(args.get(0));
        if (storage == null) {
            throw new CrateException(where + ": a tensor is rebuilt from " + describe(args.get(0))
                    + " instead of a storage; the file is corrupt");
        }
        if (override != null && override != storage.dtype()) {
            long bytes = storage.numel() * storage.dtype().byteSize();
            storage = new TorchStorage(storage.key(), override, bytes / override.byteSize());
        }
        if (!materialise) {
            return new PickledObject("torch.Tensor", List.of(), null);
        }
        return TensorView.materialise(where, storage, (Long) args.get(1), longs(args.get(2)), longs(args.get(3)), source);
    }

    private DType dtypeOf(Object typeRef) {
        String name = globalRefs.get(typeRef);
        DType dtype = name == null ? null : STORAGE_TYPES.getOrDefault(name, TORCH_DTYPES.get(name));
        if (dtype == null) {
            throw new CrateException(where + ": tensor element type " + describe(typeRef) + " is not supported; crate4j reads "
                    + "float64/32/16, bfloat16, int64/32/16/8, uint8 and bool: convert the tensor before saving");
        }
        return dtype;
    }

    private Object dict(List<Object> args) {
        Map<String, Object> dict = new LinkedHashMap<>();
        if (args.size() == 1 && args.get(0) instanceof List<?> pairs) { // OrderedDict([(k, v), ...])
            for (Object pair : pairs) {
                List<?> kv = list(pair);
                dict.put(PythonText.str(kv.get(0)), kv.get(1));
            }
        }
        return dict;
    }

    private Object device(List<Object> args) {
        String type = (String) args.get(0);
        return args.size() > 1 && args.get(1) != null ? type + ":" + args.get(1) : type;
    }

    private static Object path(List<Object> parts) {
        StringBuilder sb = new StringBuilder();
        for (Object part : parts) {
            String p = (String) part;
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '/' && sb.charAt(sb.length() - 1) != '\\') {
                sb.append('/');
            }
            sb.append(p);
        }
        return sb.length() == 0 ? "." : sb.toString();
    }

    /** Protocol 2 spells bytes as _codecs.encode(text, 'latin1'): one char per byte. */
    private byte[] encode(Object text, String encoding) {
        String s = (String) text;
        String e = encoding.toLowerCase().replace('_', '-');
        if (e.equals("latin1") || e.equals("latin-1") || e.equals("iso-8859-1") || e.equals("l1")) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        if (e.equals("utf-8") || e.equals("utf8")) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        if (e.equals("ascii")) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }
        throw new CrateException(where + ": pickle encodes bytes as '" + encoding + "', which crate4j does not decode");
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        if (value instanceof String s) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        List<?> ints = list(value);
        byte[] out = new byte[ints.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (long) (Long) ints.get(i);
        }
        return out;
    }

    private static List<?> list(Object value) {
        if (value instanceof List<?> l) {
            return l;
        }
        throw new ClassCastException("expected a tuple or list, found " + describe(value));
    }

    private static long[] longs(Object tuple) {
        List<?> items = list(tuple);
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Long) items.get(i);
        }
        return out;
    }

    static String describe(Object v) {
        return v == null ? "None" : v instanceof PickledObject o ? "'" + o.className() + "'" : v.getClass().getSimpleName();
    }
}

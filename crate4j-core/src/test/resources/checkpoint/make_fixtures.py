#!/usr/bin/python3
"""Writes the checkpoint fixtures the Java tests read, each with its expected values in JSON.

Run from this directory with Debian's python3-torch 1.13:  /usr/bin/python3 make_fixtures.py
Every file is produced by PyTorch itself (torch.save) or by the pickle/zipfile/struct modules,
with a fixed seed, so the Java reader is checked against the real format, not our idea of it.

Expected values use one JSON encoding the Java test understands:
  tensors  {"__tensor__": {"dtype": "F32", "shape": [...], "values": [...flat row-major...]}}
  bytes    {"__bytes__": "00ff"}
  objects  {"__object__": "argparse.Namespace", "args": [...], "state": {...}}
  dicts -> objects with str(key); tuples, lists and sets -> arrays; numpy scalars -> numbers.
"""
import argparse
import collections
import io
import json
import os
import pathlib
import pickle
import struct
import zipfile

import numpy as np
import torch
import torch.nn as nn

HERE = pathlib.Path(__file__).resolve().parent
PWNED_MARKER = "/tmp/crate4j_pwned_marker"

DTYPES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
          torch.uint8: "U8", torch.bool: "BOOL"}


def norm(x):
    """The JSON form of a Python value, as the Java reader should present it."""
    if isinstance(x, torch.Tensor):
        t = x.detach().contiguous()
        return {"__tensor__": {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "values": t.reshape(-1).tolist()}}
    if isinstance(x, dict):
        return {str(k): norm(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [norm(v) for v in x]
    if isinstance(x, (bytes, bytearray)):
        return {"__bytes__": bytes(x).hex()}
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, argparse.Namespace):
        return {"__object__": "argparse.Namespace", "args": [], "state": norm(vars(x))}
    if isinstance(x, slice):
        return {"__object__": "builtins.slice", "args": [x.start, x.stop, x.step], "state": None}
    if isinstance(x, (torch.device, pathlib.PurePath)):
        return str(x)
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise TypeError(type(x))


def save(name, obj, expected_extra=None, **kwargs):
    path = HERE / name
    torch.save(obj, path, **kwargs)
    loaded = torch.load(path)  # our own file: read it back so expectations describe what is on disk
    expected = {"tree": norm(loaded)}
    expected.update(expected_extra or {})
    (HERE / (name + ".json")).write_text(json.dumps(expected, indent=1))


def classifier_checkpoint():
    """What CRATE's main.py saves: DataParallel 'module.' keys, an optimizer, numbers and strings."""
    model = nn.Sequential(nn.Linear(4, 3), nn.LayerNorm(3), nn.Linear(3, 2))
    wrapped = nn.DataParallel(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05, betas=(0.9, 0.999))
    model(torch.randn(5, 4)).square().sum().backward()
    optimizer.step()
    state_dict = wrapped.state_dict()
    save("classifier.pth.tar", {
        "epoch": 3, "arch": "crate_tiny", "state_dict": state_dict, "best_acc1": torch.tensor(71.25),
        "optimizer": optimizer.state_dict(), "scheduler": {"last_epoch": 3, "_last_lr": [0.05]},
    }, {"state_dict_keys": [k[len("module."):] for k in state_dict]})


def views():
    """Tensors saved as views: torch keeps the storage, offset and strides, not a copy."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    weight = torch.randn(3, 5)
    save("views.pth", collections.OrderedDict([
        ("transposed", weight.t()),
        ("row_slice", base[1:3]),
        ("block", base[1:3, 2:5]),
        ("shared_full", base),
        ("shared_row", base[2]),
        ("every_other_column", base[:, ::2]),
        ("scalar_view", base[1, 1]),
        ("expanded", torch.randn(3, 1).expand(3, 4)),
        ("empty", torch.zeros(0, 3)),
    ]))


def dtypes():
    save("dtypes.pth", collections.OrderedDict([
        ("f16", torch.tensor([1.0, -0.5, 65504.0, 6e-8, 0.1], dtype=torch.float16)),
        ("bf16", torch.tensor([1.0, -2.5, 3.0e38, 0.1], dtype=torch.bfloat16)),
        ("f64", torch.tensor([[0.1, -1e300], [3.5, 2.0 ** -1070]], dtype=torch.float64)),
        ("i64", torch.tensor([2 ** 40 + 3, -5, 0, 2 ** 62], dtype=torch.int64)),
        ("i32", torch.tensor([-(2 ** 31), 7], dtype=torch.int32)),
        ("i16", torch.tensor([-300, 300], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("u8", torch.tensor([0, 255, 128], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
    ]))


def training_state():
    """What MAE-style training saves: 'model', an argparse.Namespace, numpy scalars, odd values."""
    model = collections.OrderedDict([("blocks.0.norm.weight", torch.ones(4)), ("head.weight", torch.randn(2, 4))])
    args = argparse.Namespace(lr=1.5e-4, model="crate_mae_base", mask_ratio=0.75, layers=[1, 2],
                              output_dir=pathlib.PosixPath("/tmp/out/run1"))
    save("training_state.pth", {
        "model": model, "args": args, "epoch": 5,
        "scaler": {"scale": 65536.0, "growth_factor": 2.0, "_growth_tracker": 0},
        "np_f64": np.float64(0.25), "np_f32": np.float32(1.5), "np_i64": np.int64(-7), "np_bool": np.bool_(True),
        "misc": {"set": {3, 1, 2}, "frozen": frozenset({"a"}), "bytes": b"\x00\xffab", "bytearray": bytearray(b"xy"),
                 "tuple": (1, "two", 3.0), "big": 2 ** 70, "neg": -(2 ** 40), "none": None, "flag": True,
                 "int_keys": {1: "a", 2: "b"}, "tuple_key": {(1, "a"): 1}, "device": torch.device("cpu"),
                 "size": torch.Size([2, 3]), "slice": slice(1, 5, None), "param": nn.Parameter(torch.randn(2)),
                 "unicode": "λ=0.5 ✓"},
    }, {"state_dict_keys": list(model)})


def legacy():
    """The pre-1.6 format: a sequence of pickles followed by raw storages."""
    base = torch.randn(3, 4)
    state = collections.OrderedDict([("weight", base), ("weight_t", base.t()), ("row", base[1]),
                                     ("half", torch.tensor([0.5, -2.0], dtype=torch.float16)),
                                     ("steps", torch.tensor([3, 2 ** 40], dtype=torch.int64))])
    save("legacy.pth", {"state_dict": state, "epoch": 2}, {"state_dict_keys": list(state)},
         _use_new_zipfile_serialization=False)


def big_endian():
    """A zip whose byteorder record says 'big', storages byte-swapped, under a root named 'model/'."""
    obj = collections.OrderedDict([("f32", torch.tensor([1.5, -2.0, 3.25])), ("i64", torch.tensor([1, -2, 2 ** 40])),
                                   ("f16", torch.tensor([0.5, 2.0], dtype=torch.float16))])
    buf = io.BytesIO()
    torch.save(obj, buf)
    sizes = {"0": 4, "1": 8, "2": 2}  # storage keys are numbered in pickling order
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(HERE / "big_endian.pth", "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            rest = info.filename.split("/", 1)[1]
            if rest.startswith("data/"):
                width = sizes[rest[len("data/"):]]
                data = b"".join(data[i:i + width][::-1] for i in range(0, len(data), width))
            dst.writestr(entry("model/" + rest), data)
        dst.writestr(entry("model/byteorder"), "big")
    (HERE / "big_endian.pth.json").write_text(json.dumps({"tree": norm(obj)}, indent=1))


def entry(name):
    """A zip entry with a fixed timestamp, so regenerated fixtures are byte-identical."""
    return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))


def write_zip(name, pickle_bytes, storages):
    with zipfile.ZipFile(HERE / name, "w") as z:
        z.writestr(entry("archive/data.pkl"), pickle_bytes)
        for key, data in storages.items():
            z.writestr(entry("archive/data/" + key), data)
        z.writestr(entry("archive/version"), "3\n")


def malicious():
    """data.pkl that would run 'touch' under Python's loader; written opcode by opcode, never loaded."""
    def text(s):
        b = s.encode()
        return b"X" + struct.pack("<I", len(b)) + b
    command = "touch " + PWNED_MARKER
    data = (b"\x80\x02}("  # PROTO 2, EMPTY_DICT, MARK
            + text("payload") + b"cos\nsystem\n" + text(command) + b"\x85R"  # os.system(command)
            + text("second") + b"\x8c\x08builtins\x8c\x04eval\x93" + text("__import__('os').system('" + command + "')")
            + b"\x85R"  # builtins.eval(...) through STACK_GLOBAL
            + text("weight_like") + b"K\x07"
            + b"u.")  # SETITEMS, STOP
    write_zip("malicious.pth", data, {})


def corrupt_storages():
    """Tensors whose declared sizes lie about the bytes present."""
    class Storage:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    class Tensor:
        def __init__(self, storage, size, stride, offset=0):
            self.args = (storage, offset, size, stride, False, collections.OrderedDict())

        def __reduce__(self):
            return torch._utils._rebuild_tensor_v2, self.args

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel) if isinstance(obj, Storage) else None

    def write(name, tensor):
        buf = io.BytesIO()
        Pickler(buf, protocol=2).dump({"w": tensor})
        write_zip(name, buf.getvalue(), {"0": struct.pack("<4f", 1, 2, 3, 4)})

    write("oversized_storage.pth", Tensor(Storage("0", 10 ** 12), (10 ** 12,), (1,)))
    write("view_out_of_bounds.pth", Tensor(Storage("0", 4), (3, 3), (3, 1)))
    write("missing_storage.pth", Tensor(Storage("7", 4), (4,), (1,)))
    write("huge_view.pth", Tensor(Storage("0", 4), (2 ** 20, 2 ** 20), (0, 0)))
    write("good_handmade.pth", Tensor(Storage("0", 4), (2, 2), (1, 2)))


def plain_pickles():
    """The same plain values in every pickle protocol, to exercise each opcode family."""
    shared = [1, 2]
    value = {"int": 1, "neg": -70000, "big": 2 ** 70, "negbig": -(2 ** 64), "float": 0.1, "inf_free": -1e300,
             "str": "crate λ", "empty": "", "bytes": b"\x00\x01\xfe", "empty_bytes": b"", "bytearray": bytearray(b"ab"),
             "none": None, "true": True, "false": False, "tuple0": (), "tuple1": (1,), "tuple2": (1, 2),
             "tuple3": (1, 2, 3), "tuple4": (1, 2, 3, 4), "list": [1, [2, [3]]], "shared": [shared, shared],
             "set": {5, 6}, "frozenset": frozenset({7}), "dict_int_keys": {1: "x", 2.5: "y", None: "z", True: "t"},
             "ordered": collections.OrderedDict([("b", 1), ("a", 2)]), "slice": slice(1, 9, 2),
             "namespace": argparse.Namespace(depth=12, name="crate"), "np": np.float64(2.5), "np_i32": np.int32(-3),
             "long_string": "x" * 300}
    for protocol in range(6):
        (HERE / f"plain_p{protocol}.pkl").write_bytes(pickle.dumps(value, protocol=protocol))
    (HERE / "plain.json").write_text(json.dumps({"tree": norm(pickle.loads(pickle.dumps(value, 2)))}, indent=1))


def python_safetensors():
    """A safetensors file written with struct and json (the safetensors package is not installed)."""
    tensors = collections.OrderedDict([
        ("embed.weight", torch.randn(2, 3)), ("steps", torch.tensor([1, -2, 2 ** 40])),
        ("half", torch.tensor([0.5, -1.0], dtype=torch.float16)), ("bf", torch.tensor([2.0], dtype=torch.bfloat16)),
        ("mask", torch.tensor([True, False])), ("scalar", torch.tensor(3.5)),
    ])
    header, blobs, offset = {"__metadata__": {"format": "pt", "preset": "crate-tiny"}}, [], 0
    for name, t in tensors.items():
        raw = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dim() else t.reshape(1).view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    (HERE / "python_written.safetensors").write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    (HERE / "python_written.safetensors.json").write_text(json.dumps(
        {"tree": norm(tensors), "metadata": header["__metadata__"]}, indent=1))


if __name__ == "__main__":
    torch.manual_seed(0)
    np.random.seed(0)
    classifier_checkpoint()
    views()
    dtypes()
    training_state()
    legacy()
    big_endian()
    malicious()
    corrupt_storages()
    plain_pickles()
    python_safetensors()
    total = sum(p.stat().st_size for p in HERE.iterdir() if p.is_file())
    print(f"fixtures written to {HERE}: {total} bytes")

"""seqrt's file formats, shared by the converters: safetensors weights,
JSON descriptions, .npy tensors, and the spec's tolerance.

    from seqrt import formats as sf
    sf.write_safetensors("m.safetensors", {"fc.weight": w}, dtype="F16")
    tensors = sf.read_safetensors("m.safetensors")     # name -> float32 array
    sf.write_description("m.json", description)         # seqrt JSON, readable layout
    sf.save_npy("input.tokens.npy", ids)                # <i4 / <f4, as seqrt reads them
    ok, err, ratio = sf.close_enough(got, want)         # |x - ref| <= 1e-4 + 1e-3 |ref|
    out = sf.run_model("m.json", {"tokens": ids})       # the library, in process

Only NumPy is needed (no torch; run_model needs the seqrt library). The
layouts are the spec's (docs/model-format.md). safetensors: 8-byte
little-endian header length N, N bytes of JSON header {name: {dtype, shape,
data_offsets}} (padded with spaces to a multiple of 8), then the tensors back
to back in header order.
"""

import json
import os
import struct
from collections import OrderedDict

import numpy as np

__all__ = ["WEIGHT_DTYPES", "ATOL", "RTOL", "FormatError", "round_to_dtype", "write_safetensors",
           "read_safetensors", "format_description", "write_description", "value_file", "npy_array",
           "save_npy", "close_enough", "run_model"]

ATOL, RTOL = 1e-4, 1e-3     # the spec's tolerance: |x - ref| <= ATOL + RTOL * |ref|


WEIGHT_DTYPES = {"F32": "<f4", "F16": "<f2", "BF16": None}


class FormatError(Exception):
    """A file that does not follow seqrt's formats."""


def _bf16_bytes(a):
    """float32 -> bfloat16 (round to nearest even) as little-endian bytes."""
    f = np.ascontiguousarray(a, dtype="<f4").reshape(-1)
    u = f.view("<u4").astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    r[np.isnan(f)] = 0x7FC0
    return r.tobytes()


def round_to_dtype(a, dtype):
    """The float32 values a loader gets back after storing `a` as `dtype`."""
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.copy()
    if dtype == "F16":
        return a.astype("<f2").astype(np.float32)
    if dtype == "BF16":
        b = np.frombuffer(_bf16_bytes(a), dtype="<u2").astype("<u4") << 16
        return b.view("<f4").reshape(a.shape).copy()
    raise ValueError("weights dtype %r is not F32, F16 or BF16" % (dtype,))


def write_safetensors(path, tensors, dtype="F32", metadata=None):
    """Writes `tensors` (name -> array-like, any float type) as safetensors.

    dtype: "F32", "F16" or "BF16" for every tensor. F16 halves the file; a
    value beyond the F16 range is an error (it would become infinite).
    metadata: optional {str: str}, stored as "__metadata__".
    The file is written to a temporary beside `path` and renamed into place.
    """
    if dtype not in WEIGHT_DTYPES:
        raise ValueError("weights dtype %r is not F32, F16 or BF16" % (dtype,))
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = OrderedDict((str(k), str(v)) for k, v in metadata.items())
    blobs, offset = [], 0
    for name, arr in tensors.items():
        a = np.ascontiguousarray(np.asarray(arr, dtype=np.float64).astype("<f4"))
        if dtype == "F16":
            big = np.abs(a[np.isfinite(a)]) > 65504.0
            if big.any():
                raise FormatError("%s: a value beyond the F16 range (%g): store F32 or BF16"
                                  % (name, float(np.abs(a[np.isfinite(a)]).max())))
            data = a.astype("<f2").tobytes()
        elif dtype == "BF16":
            data = _bf16_bytes(a)
        else:
            data = a.tobytes()
        header[name] = OrderedDict([("dtype", dtype), ("shape", list(a.shape)),
                                    ("data_offsets", [offset, offset + len(data)])])
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    tmp = path + ".tmp-%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)


def read_safetensors(path):
    """Reads a safetensors file: OrderedDict name -> float32 array (F32, F16
    and BF16 converted), checking every offset against the file size."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise FormatError("%s: shorter than the 8-byte header length" % path)
    (n,) = struct.unpack("<Q", buf[:8])
    if 8 + n > len(buf):
        raise FormatError("%s: header length %d beyond the file size" % (path, n))
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    base, size = 8 + n, len(buf) - 8 - n
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt, shape = info["dtype"], [int(d) for d in info["shape"]]
        b, e = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        width = 4 if dt == "F32" else 2 if dt in ("F16", "BF16") else None
        if width is None:
            raise FormatError("%s: tensor %s: dtype %s is not F32, F16 or BF16" % (path, name, dt))
        if not (0 <= b <= e <= size) or e - b != width * count:
            raise FormatError("%s: tensor %s: data_offsets %s do not fit" % (path, name, [b, e]))
        raw = buf[base + b:base + e]
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4")
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            a = (np.frombuffer(raw, dtype="<u2").astype("<u4") << 16).view("<f4")
        out[name] = a.reshape(shape).astype(np.float32)
    return out


# --------------------------------------------------------------- descriptions

def _compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def _format(v, indent, level):
    """JSON with short lists and objects on one line (layers stay readable,
    a 100-entry vocabulary takes a few lines instead of a hundred)."""
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    one = _compact(v)
    if len(one) + len(pad) <= 100 or not isinstance(v, (dict, list)) or not v:
        return one
    if isinstance(v, list):
        if all(not isinstance(x, (dict, list)) for x in v):
            lines, cur = [], ""
            for x in v:
                item = _compact(x)
                if cur and len(inner) + len(cur) + len(item) + 2 > 100:
                    lines.append(cur + ",")
                    cur = ""
                cur = item if not cur else cur + ", " + item
            lines.append(cur)
            return "[\n" + "\n".join(inner + ln for ln in lines) + "\n" + pad + "]"
        return "[\n" + ",\n".join(inner + _format(x, indent, level + 1) for x in v) + "\n" + pad + "]"
    items = [inner + json.dumps(k) + ": " + _format(x, indent, level + 1) for k, x in v.items()]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def format_description(desc):
    return _format(desc, 2, 0) + "\n"


def write_description(path, desc):
    tmp = path + ".tmp-%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(format_description(desc))
    os.replace(tmp, path)


def unique_name(names, base):
    """base, or base_2, base_3, ... : the first not in the set `names`,
    which it joins."""
    name, k = base, 2
    while name in names:
        name = "%s_%d" % (base, k)
        k += 1
    names.add(name)
    return name


def value_file(value):
    """File name `seqrt run` writes for a value: ':' -> '.', plus .npy."""
    return value.replace(":", ".") + ".npy"


# --------------------------------------------------------------- .npy tensors

def npy_array(arr):
    """`arr` as seqrt's tensor files hold it: integers as little-endian int32,
    everything else as little-endian float32, C order."""
    a = np.asarray(arr)
    return np.ascontiguousarray(a.astype("<i4") if a.dtype.kind in "iub" else a.astype("<f4"))


def save_npy(path, arr):
    """Writes `arr` as a .npy file seqrt reads (see npy_array)."""
    np.save(path, npy_array(arr), allow_pickle=False)


# --------------------------------------------------------------- comparing with a reference

def close_enough(got, want, atol=ATOL, rtol=RTOL):
    """(ok, worst |got - want|, worst ratio to the allowed bound) under the
    spec's rule |x - ref| <= atol + rtol * |ref|, NaN/Inf where the
    reference has them."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return False, float("inf"), float("inf")
    if got.size == 0:
        return True, 0.0, 0.0
    fin = np.isfinite(want)
    if not np.array_equal(np.isnan(got), np.isnan(want)) or \
            not np.array_equal(got[~fin & ~np.isnan(want)], want[~fin & ~np.isnan(want)]):
        return False, float("inf"), float("inf")
    err = np.abs(got[fin] - want[fin])
    bound = atol + rtol * np.abs(want[fin])
    if err.size == 0:
        return True, 0.0, 0.0
    ratio = float((err / bound).max())
    return ratio <= 1.0, float(err.max()), ratio


# --------------------------------------------------------------- running a written model

def run_model(model_json, inputs, outputs=None, device="reference", strict=True):
    """Runs the model at `model_json` through the seqrt library, in process
    (seqrt.Model, seqrt.Session), on `inputs` (name -> array; integer arrays
    passed as int32, others as float32, as seqrt's .npy files hold them) and
    returns OrderedDict value -> float32 array for `outputs` (default: every
    model output, in the model's order).

    device: what seqrt.Session takes ("reference", "onednn:0", a
    seqrt.Device; None for $SEQRT_BACKEND). strict: a weight tensor that no
    layer uses is an error. Raises seqrt.Error (with the library's message)
    when the library, the model or the run fails; KeyError for an output
    the model does not have."""
    import seqrt
    feed = OrderedDict((name, npy_array(arr)) for name, arr in inputs.items())
    with seqrt.Model(model_json, strict=strict) as m:
        with seqrt.Session(m, device=device) as s:
            got = s.run(feed)
        names = list(outputs) if outputs is not None else [o.name for o in m.outputs]
    return OrderedDict((v, got[v]) for v in names)

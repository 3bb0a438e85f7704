"""``seqrt quantize``: converts an f32 seqrt model to format 1.2's
precisions (docs/model-format/quantization.md) and reports what it costs.

    /usr/bin/python3 -m seqrt.quantize MODEL.json --to int8|bf16|f16 -o OUT.json
        [--rule qnnpack|onednn] [--per-tensor] [--seed N] [--device D]

--to int8: every linear, lstm and gru layer computes int8-dynamic (its
weight matrices stored I8 with their scales, one per output row unless
--per-tensor: per row is never worse, each row gets its own range); an
lstm/gru form int8-dynamic cannot take (peephole, projection, clip, ...)
and every other op stay f32, said on stderr. --rule names the int8
equations (default qnnpack). --to bf16/f16: every layer with weights keeps
them in that type (rounded to nearest even).

It writes OUT.json and its weights OUT.safetensors (each through a
temporary file renamed into place: never a partial file), then runs the
original and the converted model on the same random inputs (T = 7, B = 2;
ids below each embedding's size; lengths T) and prints the weights' sizes
and the largest difference of every output.
"""

import argparse
import copy
import json
import os
import struct
import sys
from collections import OrderedDict

import numpy as np

from . import formats

F32 = np.float32
INT8_OPS = ("linear", "lstm", "gru")
INT8_REFUSED = ("proj_size", "peephole", "coupled", "clip", "input_forget", "activations")


class QuantizeError(Exception):
    """A model seqrt quantize cannot convert (the message says why)."""


def quantize_rows(w, per_row=True):
    """(int8 codes, float32 scales [rows] or [1]) of a float matrix, as
    PyTorch's (Per)ChannelMinMaxObserver qint8 symmetric makes them."""
    w = np.asarray(w, dtype=F32)
    if not np.isfinite(w).all():
        raise QuantizeError("a weight matrix has a non-finite value")
    lo = w.min(axis=1) if per_row else np.array([w.min()], F32)
    hi = w.max(axis=1) if per_row else np.array([w.max()], F32)
    a = np.maximum(-np.minimum(lo, F32(0)), np.maximum(hi, F32(0)))
    scale = np.maximum(a / F32(127.5), np.finfo(F32).eps).astype(F32)
    inv = (F32(1) / scale).astype(F32)
    q = np.clip(np.rint(w * (inv[:, None] if per_row else inv[0])), -128, 127).astype(np.int8)
    return q, scale


def _int8_matrix(layer, param):
    return layer["op"] in INT8_OPS and (param == "weight" if layer["op"] == "linear"
                                        else param.startswith("weight_ih_l") or param.startswith("weight_hh_l"))


def write_weights(path, tensors):
    """name -> (dtype, array) as safetensors: F32, F16, BF16, I8."""
    header, blobs, off = OrderedDict(), [], 0
    for name, (dt, a) in tensors.items():
        a = np.ascontiguousarray(a)
        if dt == "I8":
            raw = a.astype(np.int8).tobytes()
        elif dt == "F16":
            raw = a.astype("<f2").tobytes()
        elif dt == "BF16":
            raw = formats._bf16_bytes(a)
        else:
            raw = a.astype("<f4").tobytes()
        header[name] = OrderedDict([("dtype", dt), ("shape", list(a.shape)), ("data_offsets", [off, off + len(raw)])])
        blobs.append(raw)
        off += len(raw)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    tmp = path + ".tmp-%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
    os.replace(tmp, path)
    return 8 + len(head) + off


def convert(desc, weights, to, rule="qnnpack", per_row=True):
    """(new description, {name: (dtype, array)}, notes) for `to` in int8,
    bf16, f16. `weights`: name -> float32 array."""
    if to not in ("int8", "bf16", "f16"):
        raise QuantizeError("--to must be int8, bf16 or f16, got %r" % (to,))
    if "precision" in desc and desc["precision"] != "f32":
        raise QuantizeError("the model already computes %s: quantize an f32 model" % desc["precision"])
    out = copy.deepcopy(desc)
    out["version"] = 1.2
    out["precision"] = {"int8": "int8-dynamic", "bf16": "bf16", "f16": "f16"}[to]
    notes, tensors = [], OrderedDict()
    owner = {}
    for layer in out["layers"]:
        for name in weights:
            if name.startswith(layer["name"] + "."):
                owner[name] = layer
    int8_layers = 0
    for layer in out["layers"]:
        if to == "int8" and layer["op"] in ("lstm", "gru"):
            bad = [k for k in INT8_REFUSED if layer.get(k) not in (None, False, 0)]
            if layer["op"] == "gru" and layer.get("linear_before_reset") is False:
                bad.append("linear_before_reset")
            if bad:
                layer["precision"] = "f32"
                notes.append("layer '%s' (%s) stays f32: int8-dynamic cannot take %s"
                             % (layer["name"], layer["op"], ", ".join(bad)))
                continue
        if to == "int8" and layer["op"] in INT8_OPS:
            int8_layers += 1
    if to == "int8":
        if not int8_layers:
            raise QuantizeError("no linear, lstm or gru layer int8-dynamic can take: nothing to quantize")
        out["int8_rule"] = rule
    for name, w in weights.items():
        layer = owner.get(name)
        param = name[len(layer["name"]) + 1:] if layer else None
        prec = layer.get("precision", out["precision"]) if layer else "f32"
        if to == "int8" and layer and prec == "int8-dynamic" and _int8_matrix(layer, param):
            q, s = quantize_rows(w, per_row)
            tensors[name] = ("I8", q)
            tensors[name + ".scale"] = ("F32", s)
        elif to in ("bf16", "f16") and layer:
            if to == "f16" and np.abs(w[np.isfinite(w)]).max(initial=0) > 65504:
                raise QuantizeError("tensor '%s' has a value beyond the f16 range: use bf16" % name)
            tensors[name] = ("BF16" if to == "bf16" else "F16", w)
        else:
            tensors[name] = ("F32", w)
    return out, tensors, notes


def random_inputs(desc, rng, T=7, B=2):
    """Random inputs for every model input: floats N(0, 1), ids below the
    size of the embedding/one_hot that reads them, other integers (lengths) T."""
    limits = {}
    for layer in desc["layers"]:
        x = layer.get("inputs", {}).get("x")
        if layer["op"] == "embedding":
            limits[x] = layer["num_embeddings"]
        elif layer["op"] == "one_hot":
            limits[x] = layer["depth"]
    feed = OrderedDict()
    for spec in desc["inputs"]:
        shape = [T if d == "T" else B if isinstance(d, str) else d for d in spec["shape"]]
        if spec["dtype"] == "float32":
            feed[spec["name"]] = rng.standard_normal(shape).astype(F32)
        elif spec["name"] in limits:
            feed[spec["name"]] = rng.integers(0, limits[spec["name"]], shape).astype(np.int32)
        else:
            feed[spec["name"]] = np.full(shape, T, np.int32)
    return feed


def main(argv=None):
    p = argparse.ArgumentParser(prog="seqrt quantize", description=__doc__.split("\n\n")[0])
    p.add_argument("model")
    p.add_argument("--to", required=True, choices=("int8", "bf16", "f16"))
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--rule", default="qnnpack", choices=("qnnpack", "onednn"))
    p.add_argument("--per-tensor", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="reference")
    a = p.parse_args(argv)
    try:
        with open(a.model) as f:
            desc = json.load(f, object_pairs_hook=OrderedDict)
        wpath = os.path.join(os.path.dirname(a.model), desc.get("weights", os.path.basename(a.model)[:-5] +
                                                                ".safetensors"))
        weights = formats.read_safetensors(wpath)
        out, tensors, notes = convert(desc, weights, a.to, a.rule, not a.per_tensor)
        if not a.output.endswith(".json"):
            raise QuantizeError("-o must name a .json file, got %r" % a.output)
        if not os.path.isdir(os.path.dirname(os.path.abspath(a.output))):
            raise QuantizeError("-o %s: no such directory" % a.output)
        out_w = a.output[:-5] + ".safetensors"
        out["weights"] = os.path.basename(out_w)
        size = write_weights(out_w, tensors)
        formats.write_description(a.output, out)
    except (OSError, ValueError, KeyError, QuantizeError, formats.FormatError) as e:
        print("seqrt: error: quantize: %s" % e, file=sys.stderr)
        return 1
    for n in notes:
        print("seqrt: quantize: %s" % n, file=sys.stderr)
    feed = random_inputs(desc, np.random.default_rng(a.seed))
    ref = formats.run_model(a.model, feed, device=a.device, strict=False)
    got = formats.run_model(a.output, feed, device=a.device)
    print("weights: %s %d bytes -> %s %d bytes (%.3f)" % (wpath, os.path.getsize(wpath), out_w, size,
                                                          size / max(1, os.path.getsize(wpath))))
    for v in ref:
        d = float(np.abs(got[v] - ref[v]).max()) if ref[v].size else 0.0
        print("output %-24s max |%s - f32| = %.3g (max |f32| %.3g)" % (v, a.to, d, float(np.abs(ref[v]).max(initial=0))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

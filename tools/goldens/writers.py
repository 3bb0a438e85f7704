"""Writes a case directory (model.json, model.safetensors, input.*.npy,
expected.*.npy, case.json) after checking it against the float64
evaluation, the directory's README.md and cases.txt; re-reads and verifies
a written directory. safetensors files are seqrt.formats's."""

import json
import os
import shutil
import struct
from collections import OrderedDict

import numpy as np
from seqrt.formats import read_safetensors as _read_safetensors, write_safetensors

from .model import NAME_RE, NPY_DTYPES, run_model
from .spec import SpecError


def value_file(value):
    """The file-name part of a value: ':' written as '.'."""
    return value.replace(":", ".")


def write_npy(path, arr, dtype):
    a = np.ascontiguousarray(np.asarray(arr).astype(dtype))
    assert a.dtype.str == dtype, (path, a.dtype.str)
    np.save(path, a, allow_pickle=False)


def read_safetensors(path):
    """Reads an F32 safetensors file back (used to check what was written):
    seqrt.formats's reader, refusing any dtype but F32."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    for name, info in header.items():
        if name != "__metadata__" and info["dtype"] != "F32":
            raise SpecError("%s: dtype %s" % (name, info["dtype"]))
    return _read_safetensors(path)


def emit(case, outdir):
    """Validates `case` by evaluating its files with the float64 spec
    implementation, then writes its directory. Returns the largest
    |expected - float64| seen."""
    if not NAME_RE.match(case.name) or "." in case.name:
        raise SpecError("bad case name " + case.name)
    model = case.model
    if model.get("weights") != "model.safetensors":
        raise SpecError(case.name + ": weights must be model.safetensors")
    # Inputs must be exactly the declared ones; outputs exactly the expected ones.
    declared = [i["name"] for i in model["inputs"]]
    if sorted(declared) != sorted(case.inputs):
        raise SpecError("%s: inputs %s vs data %s" % (case.name, declared, sorted(case.inputs)))
    if list(model["outputs"]) != list(case.expected):
        raise SpecError("%s: outputs %s vs expected %s" % (case.name, model["outputs"], list(case.expected)))
    files = set()
    for v in model["outputs"]:
        f = value_file(v)
        if f in files:
            raise SpecError("%s: two outputs map to file %s" % (case.name, f))
        files.add(f)
    inputs = OrderedDict()
    for spec in model["inputs"]:
        arr = np.ascontiguousarray(np.asarray(case.inputs[spec["name"]]).astype(NPY_DTYPES[spec["dtype"]]))
        if not np.array_equal(arr, case.inputs[spec["name"]]):
            raise SpecError("%s: input %s changes when cast to %s" % (case.name, spec["name"], spec["dtype"]))
        inputs[spec["name"]] = arr
    weights = OrderedDict()
    for k, v in case.weights.items():
        a = np.asarray(v)
        if a.dtype != np.float32:
            a32 = a.astype(np.float32)
            if not np.array_equal(a32.astype(a.dtype), a):
                raise SpecError("%s: weight %s is not float32-exact" % (case.name, k))
            a = a32
        weights[k] = a
    expected = OrderedDict()
    for k, v in case.expected.items():
        a = np.asarray(v, dtype=np.float64)
        if not np.all(np.isfinite(a)):
            raise SpecError("%s: expected %s is not finite" % (case.name, k))
        expected[k] = a.astype(np.float32)

    # Independent evaluation from what is about to be written.
    got = run_model(json.loads(json.dumps(model)), weights, inputs, strict=True)
    worst = 0.0
    catol, crtol = case.check
    for k in expected:
        ref = got[k]
        e = expected[k].astype(np.float64)
        if ref.shape != e.shape:
            raise SpecError("%s: %s shape %s, float64 evaluation gives %s" % (case.name, k, e.shape, ref.shape))
        err = np.abs(e - ref)
        worst = max(worst, float(err.max()) if err.size else 0.0)
        bad = err > catol + crtol * np.abs(ref)
        if np.any(bad):
            i = np.unravel_index(np.argmax(err - crtol * np.abs(ref)), err.shape)
            raise SpecError("%s: %s disagrees with the float64 evaluation at %s: %r vs %r"
                            % (case.name, k, i, float(e[i]), float(ref[i])))
        # The case must also pass its own tolerance, with room to spare.
        assert np.all(err <= 0.1 * (case.atol + case.rtol * np.abs(ref))), (case.name, k)

    d = os.path.join(outdir, case.name)
    if os.path.exists(d):
        raise SpecError("case %s written twice" % case.name)
    os.makedirs(d)
    text = format_model_json(model)
    assert json.loads(text) == json.loads(json.dumps(model))
    with open(os.path.join(d, "model.json"), "w") as f:
        f.write(text)
    write_safetensors(os.path.join(d, "model.safetensors"), weights, metadata={"format": "pt"})
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert list(back) == list(weights) and all(np.array_equal(back[k], weights[k]) for k in weights)
    for name, arr in inputs.items():
        write_npy(os.path.join(d, "input.%s.npy" % name), arr, arr.dtype.str)
    for name, arr in expected.items():
        write_npy(os.path.join(d, "expected.%s.npy" % value_file(name)), arr, "<f4")
    meta = OrderedDict([("source", case.source), ("description", case.description),
                        ("atol", case.atol), ("rtol", case.rtol)])
    if case.tolerance_note:
        meta["tolerance_note"] = case.tolerance_note
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    return worst


def format_model_json(model):
    """The description as JSON, one input / layer per line."""
    lines = []
    items = list(model.items())
    for n, (k, v) in enumerate(items):
        comma = "," if n + 1 < len(items) else ""
        if k in ("inputs", "layers") and v:
            lines.append("  %s: [" % json.dumps(k))
            lines.extend("    %s%s" % (json.dumps(e), "," if j + 1 < len(v) else "") for j, e in enumerate(v))
            lines.append("  ]" + comma)
        else:
            lines.append("  %s: %s%s" % (json.dumps(k), json.dumps(v), comma))
    return "{\n" + "\n".join(lines) + "\n}\n"


README_HEAD = """# Golden conformance cases

Generated by `tools/make_goldens.py` — do not edit by hand. To regenerate
(from the repository root, with Debian's `python3-torch`, `python3-numpy`,
`python3-onnx` and `libonnx-testdata` installed):

    /usr/bin/python3 tools/make_goldens.py [--out conformance/data/golden]

The script is deterministic (fixed per-case seeds) and rewrites this whole
directory: it deletes every case directory (one holding a `case.json`), then
writes all cases, this README and `cases.txt` (one case name per line). It
runs in well under a minute. Tests never run Python; the files are committed.

## A case

Each case is a directory `<case>/`:

| file | content |
|---|---|
| `model.json` | a seqrt description (`"format": "seqrt"`, `"version": 1`), `"weights": "model.safetensors"` |
| `model.safetensors` | F32 weights (8-byte LE header length, JSON header `{name: {dtype, shape, data_offsets}}` with `__metadata__` `{"format": "pt"}`, padded with spaces to a multiple of 8, then the data); names are PyTorch `state_dict()` names prefixed with the layer name (`rnn.weight_ih_l0`, `att.key.bias`, `pool.projection.0.weight`, `mha.in_proj_weight`, ...). A model without weights has an empty file (header `{"__metadata__": ...}`). |
| `input.<name>.npy` | one per entry of the description's `inputs`: `<f4`, ids and lengths `<i4` (or `<i8` where declared `int64`) |
| `expected.<value>.npy` | one per entry of `outputs`, `:` written as `.` (`rnn:h_n` → `expected.rnn.h_n.npy`), `<f4` |
| `case.json` | `{"source", "description", "atol", "rtol"}` and, where the bound is not the spec default, `"tolerance_note"` |

A backend passes a case when, for every element, `|x - expected| <= atol +
rtol * |expected|` (spec defaults `atol` 1e-4, `rtol` 1e-3).

## Sources of the expected values

- `pytorch`: the PyTorch modules (`nn.LSTM`, `nn.GRU`, `nn.RNN`,
  `nn.Embedding`, `nn.Linear`, `nn.MultiheadAttention`, ...) built with a
  fixed seed in float32 (those float32 values are the stored weights), then
  `.double()` and run on the float32 inputs in float64; the result is rounded
  to float32 once. Recurrent layers with `lengths` run through
  `pack_padded_sequence(enforce_sorted=False)` / `pad_packed_sequence` (padded
  outputs 0); a row of length 0, which PyTorch cannot pack, is filled per the
  spec (outputs 0, `h_n`/`c_n` = the initial state). `attention`,
  `attention_pool`, `last_step` and `mean_pool` are torch code written in the
  script from the spec's equations (masked softmax; a row with no valid key
  gets zero weights and a zero context).
- `onnx`: ONNX's own node test vectors (libonnx-testdata,
  `/usr/share/libonnx-testdata/data/node/<test>/test_data_set_0`), converted
  (gate rows ONNX i,o,f,c → PyTorch i,f,g,o for LSTM, z,r,h → r,z,n for GRU;
  `B = [Wb, Rb]` split into `bias_ih`/`bias_hh`; `P = [p_i, p_o, p_f]` →
  `weight_pi/po/pf`; GRU `linear_before_reset` 0 → `false`; `layout` 1 →
  `batch_first`; `Y [T,D,B,H]` → `[T,B,D*H]`; no `B` input → `"bias": false`);
  the expected values are ONNX's stored outputs, not recomputed.
- `float64`: the script's NumPy float64 implementation of the spec equations,
  for what PyTorch lacks (peephole and coupled (CIFG) LSTM, GRU with
  `linear_before_reset: false`).

Before writing, the script asserts that its float64 implementation agrees
with PyTorch (float64, <= 1e-9) on LSTM/GRU/RNN in every PyTorch
configuration (projection, bidirectional, 2 layers, lengths with a 0 and a
full length, initial states, batch_first), with ONNX's LSTM node vectors, and
with ONNX's reference helpers (`onnx.backend.test.case.node.lstm/gru`) on
random weights, peepholes and `linear_before_reset` 0/1. Every case is then
re-evaluated by that implementation from the files being written
(description, weights, inputs — it rejects unknown ops, attributes, slots and
unused weights) and must match the expected values to about 1e-6.

## Cases

"""


def write_readme(outdir, cases, skipped, note=None):
    head = README_HEAD.rstrip("\n") + "\n"
    if note:
        head = head.replace("\n## A case\n", "\n%s\n\n## A case\n" % note, 1)
    lines = [head, "| case | source | inputs | outputs | description |", "|---|---|---|---|---|"]
    for c in cases:
        ins = ", ".join("`%s` %s %s" % (i["name"], i["dtype"], json.dumps(i["shape"]).replace('"', ""))
                        for i in c.model["inputs"])
        outs = ", ".join("`%s`" % o for o in c.model["outputs"])
        note = c.description.replace("|", "\\|")
        if c.tolerance_note:
            note += " (tolerance: %s)" % c.tolerance_note
        lines.append("| `%s` | %s | %s | %s | %s |" % (c.name, c.source, ins, outs, note))
    if skipped:
        lines.append("\nSkipped (absent from this machine's libonnx-testdata or unsupported):\n")
        lines.extend("- `%s`: %s" % s for s in skipped)
    with open(os.path.join(outdir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def clean(outdir):
    """Deletes the case directories (those with a case.json) and the files
    this script writes; leaves anything else alone."""
    if not os.path.isdir(outdir):
        return
    for entry in sorted(os.listdir(outdir)):
        p = os.path.join(outdir, entry)
        if os.path.isdir(p) and os.path.isfile(os.path.join(p, "case.json")):
            shutil.rmtree(p)
        elif entry in ("README.md", "cases.txt"):
            os.remove(p)


def write_cases_txt(outdir, cases):
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("".join(c.name + "\n" for c in cases))


def verify(outdir):
    """Re-reads every case from disk (description, safetensors, .npy) and
    checks it against the float64 evaluation and its own tolerance."""
    n = 0
    for name in sorted(os.listdir(outdir)):
        d = os.path.join(outdir, name)
        if not os.path.isfile(os.path.join(d, "case.json")):
            continue
        with open(os.path.join(d, "case.json")) as f:
            meta = json.load(f)
        assert set(meta) <= {"source", "description", "atol", "rtol", "tolerance_note"}, name
        with open(os.path.join(d, "model.json")) as f:
            model = json.load(f)
        weights = read_safetensors(os.path.join(d, model["weights"]))
        inputs = {i["name"]: np.load(os.path.join(d, "input.%s.npy" % i["name"])) for i in model["inputs"]}
        got = run_model(model, weights, inputs, strict=True)
        files = {f for f in os.listdir(d) if f.startswith(("input.", "expected."))}
        want = {"input.%s.npy" % i["name"] for i in model["inputs"]} | \
               {"expected.%s.npy" % value_file(v) for v in model["outputs"]}
        assert files == want, (name, sorted(files ^ want))
        for v in model["outputs"]:
            e = np.load(os.path.join(d, "expected.%s.npy" % value_file(v)))
            assert e.dtype.str == "<f4" and e.shape == got[v].shape, (name, v)
            ok = np.abs(e - got[v]) <= meta["atol"] + meta["rtol"] * np.abs(got[v])
            assert ok.all(), (name, v)
        n += 1
    print("verified %d cases in %s" % (n, outdir))
    return n

"""Quantized goldens (format 1.2, docs/model-format/quantization.md): torch
1.13's torch.ao.quantization.quantize_dynamic of nn.Linear, nn.LSTM and
nn.GRU on the engines Debian's torch has (qnnpack, onednn), written as 1.2
descriptions (precision "int8-dynamic", int8_rule the engine) whose
safetensors hold torch's own int8 codes (I8) and scales (`<param>.scale`,
F32 [1] or [rows]) and float32 biases, with torch's outputs as expected.

Each case is checked against the oracle (quant_dynamic.py, NumPy) before it
is written: with sigma/tanh in double and again with them moved by +-1 ulp
at random (ulp_noise_fns) it must agree with torch within
1e-6 * max(1, max|y|), the stability rule of quantization.md; a case that
fails it is not written (the build says so). The int8 codes and scales torch
stored must equal the oracle's quantize_weight bit for bit.

    cd tools && /usr/bin/python3 -m goldens.cases_quant --out ../conformance/data/golden_quant
    cd tools && /usr/bin/python3 -m goldens.cases_quant --verify ../conformance/data/golden_quant

--verify rebuilds every case in memory and compares it with the files
(descriptions, weights and expected outputs equal); exit 77 without torch.
"""

import json
import os
import shutil
import struct
import sys
from collections import OrderedDict

import numpy as np

from . import quant_dynamic as qd

F32 = np.float32
STABLE = 1e-6
ATOL = RTOL = 1e-5  # quantization.md: the reference within 1e-5 * max(1, |g|)

# name, mode, input, hidden, layers, bidirectional, batch_first, T, B, options
CASES = [
    ("linear", "linear", 12, 7, 1, False, False, 5, 3, ()),
    ("linear_per_channel", "linear", 16, 9, 1, False, False, 4, 2, ("per_channel",)),
    ("lstm", "lstm", 5, 7, 1, False, False, 6, 3, ()),
    ("lstm_2l_bidir_h0", "lstm", 4, 6, 2, True, False, 5, 2, ("h0",)),
    ("lstm_per_channel_batch_first", "lstm", 8, 10, 1, False, True, 7, 3, ("per_channel", "h0")),
    ("lstm_2l_bidir_lengths", "lstm", 6, 8, 2, True, False, 7, 4, ("h0", "lengths")),
    ("gru", "gru", 5, 7, 1, False, False, 6, 3, ()),
    ("gru_2l_bidir_per_channel_h0", "gru", 4, 6, 2, True, True, 5, 2, ("h0", "per_channel")),
    ("gru_lengths", "gru", 6, 9, 1, False, False, 7, 4, ("lengths",)),
]


def _safetensors(tensors):
    """bytes of a safetensors file: F32 and I8 tensors, sorted by name."""
    header, blobs, off = OrderedDict(), [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dt = {np.dtype(np.float32): "F32", np.dtype(np.int8): "I8"}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = OrderedDict([("dtype", dt), ("shape", list(a.shape)), ("data_offsets", [off, off + len(raw)])])
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def _npy(arr):
    import io
    b = io.BytesIO()
    np.save(b, np.ascontiguousarray(arr))
    return b.getvalue()


def _seed(name, engine):
    import zlib
    return zlib.crc32(("quant:%s:%s" % (name, engine)).encode())


def _build(torch, name, engine, cfg):
    """(files {name: bytes}, note) of one case, or (None, why) when unstable."""
    mode, i_sz, h_sz, layers, bidir, bf, t_len, batch, opts = cfg
    torch.manual_seed(_seed(name, engine) & 0x7FFFFFFF)
    rng = np.random.default_rng(_seed(name, engine))
    per_channel = "per_channel" in opts
    qconfig = torch.ao.quantization.per_channel_dynamic_qconfig if per_channel else \
        torch.ao.quantization.default_dynamic_qconfig
    cls = {"linear": torch.nn.Linear, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[mode]
    fm = cls(i_sz, h_sz) if mode == "linear" else cls(i_sz, h_sz, layers, bidirectional=bidir, batch_first=bf)
    qm = torch.ao.quantization.quantize_dynamic(torch.nn.ModuleDict({"m": fm}), {cls: qconfig})["m"]
    nd = 2 if bidir else 1
    lname = "fc" if mode == "linear" else "rnn"
    weights, inputs, outputs, layer = {}, OrderedDict(), OrderedDict(), OrderedDict()
    if mode == "linear":
        theirs = qd._torch_weights(qm, lambda m: {"weight": m.weight()})
        mine = {"weight": qd.quantize_weight(fm.weight.detach().numpy(), per_channel)}
        bias = qm.bias().detach().numpy().astype(F32)
        params = {"weight": theirs["weight"], "bias": bias}
        x = (rng.standard_normal((t_len, batch, i_sz)) * rng.uniform(0.5, 3)).astype(F32)
        with torch.no_grad():
            want = [qm(torch.from_numpy(x)).numpy()]
        fns_runs = [qd.linear_dynamic(x, params["weight"][0], params["weight"][1], bias, engine)]
        inputs["x"] = x
        outputs[lname] = want[0]
        layer.update(op="linear", name=lname, inputs={"x": "x"}, in_features=i_sz, out_features=h_sz)
        shape = ["T", "B", i_sz]
    else:
        theirs = qd._torch_weights(qm, lambda m: m.get_weight())
        state = {k: v.detach().numpy() for k, v in fm.state_dict().items()}
        mine = qd.quantize_recurrent(state, mode, layers, bidir, per_channel)
        params = dict(theirs)
        for k, v in state.items():
            if k.startswith("bias_"):
                params[k] = v.astype(F32)
        x, h0, c0, lengths = qd.recurrent_inputs(rng, opts, bf, batch, t_len, i_sz, h_sz, layers * nd)
        want = qd._torch_recurrent(torch, qm, mode, x, h0, c0, lengths, bf)

        def run(fns):
            if mode == "lstm":
                return qd.lstm_dynamic(x, params, h0, c0, layers, bidir, bf, engine, fns, lengths)
            return qd.gru_dynamic(x, params, h0, layers, bidir, bf, engine, fns, lengths)
        fns_runs = None
        worst = 0.0
        for fns in (qd.NUMPY_FNS, qd.ulp_noise_fns(rng)):
            got = run(fns)
            worst = max(worst, max(float(np.abs(g - w).max()) / max(1.0, float(np.abs(w).max()))
                                   for g, w in zip(got, want)))
        if worst > STABLE:
            return None, "unstable: oracle vs torch %.1e > %.0e" % (worst, STABLE)
        inputs["x"] = x
        ins_desc = {"x": "x"}
        if h0 is not None:
            inputs["h0"] = h0
            ins_desc["h0"] = "h0"
            if mode == "lstm":
                inputs["c0"] = c0
                ins_desc["c0"] = "c0"
        if lengths is not None:
            inputs["lengths"] = lengths.astype(np.int32)
            ins_desc["lengths"] = "lengths"
        layer.update(op=mode, name=lname, inputs=ins_desc, input_size=i_sz, hidden_size=h_sz)
        if layers > 1:
            layer["num_layers"] = layers
        if bidir:
            layer["bidirectional"] = True
        outputs[lname] = want[0]
        outputs[lname + ":h_n"] = want[1]
        if mode == "lstm":
            outputs[lname + ":c_n"] = want[2]
        shape = ["B", "T", i_sz] if bf else ["T", "B", i_sz]
    for k, (q, s) in theirs.items():
        if not (np.array_equal(q, mine[k][0]) and np.array_equal(s, mine[k][1])):
            raise AssertionError("%s %s: torch's int8 weight %s differs from the oracle's" % (name, engine, k))
    if mode == "linear":
        worst = float(np.abs(fns_runs[0] - want[0]).max()) / max(1.0, float(np.abs(want[0]).max()))
        if worst > STABLE:
            return None, "oracle vs torch %.1e" % worst
    for k, v in params.items():
        if isinstance(v, tuple):
            weights["%s.%s" % (lname, k)] = v[0].astype(np.int8)
            weights["%s.%s.scale" % (lname, k)] = v[1].astype(F32).reshape(-1)
        else:
            weights["%s.%s" % (lname, k)] = v
    ins = []
    for k, v in inputs.items():
        if k == "x":
            ins.append(OrderedDict([("name", "x"), ("dtype", "float32"), ("shape", shape)]))
        elif k == "lengths":
            ins.append(OrderedDict([("name", k), ("dtype", "int32"), ("shape", ["B"])]))
        else:
            ins.append(OrderedDict([("name", k), ("dtype", "float32"), ("shape", [layers * nd, "B", h_sz])]))
    model = OrderedDict([("format", "seqrt"), ("version", 1.2), ("name", name), ("batch_first", bool(bf)),
                         ("precision", "int8-dynamic"), ("int8_rule", engine), ("weights", "model.safetensors"),
                         ("inputs", ins), ("layers", [layer]), ("outputs", list(outputs))])
    files = {"model.json": (json.dumps(model, indent=1) + "\n").encode(), "model.safetensors": _safetensors(weights)}
    for k, v in inputs.items():
        files["input.%s.npy" % k] = _npy(v)
    for k, v in outputs.items():
        files["expected.%s.npy" % k.replace(":", ".")] = _npy(np.asarray(v, F32))
    per = "per output row" if per_channel else "per tensor"
    files["case.json"] = (json.dumps(OrderedDict([
        ("source", "pytorch"), ("precision", "int8-dynamic"),
        ("description", "torch 1.13 quantize_dynamic %s on %s, int8 weights %s" % (mode, engine, per)),
        ("atol", ATOL), ("rtol", RTOL)]), indent=1) + "\n").encode()
    return files, None


def build_all():
    import torch
    saved = torch.backends.quantized.engine
    out, skipped = OrderedDict(), []
    try:
        for engine in qd.ENGINES:
            torch.backends.quantized.engine = engine
            for c in CASES:
                name = "quant_%s_%s" % (c[0], engine)
                files, why = _build(torch, name, engine, c[1:])
                if files is None:
                    skipped.append((name, why))
                else:
                    out[name] = files
    finally:
        torch.backends.quantized.engine = saved
    return out, skipped


def main(argv):
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is missing: quantized goldens cannot be built or verified")
        return 77
    if len(argv) != 2 or argv[0] not in ("--out", "--verify"):
        print(__doc__)
        return 2
    cases, skipped = build_all()
    d = argv[1]
    if argv[0] == "--out":
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        for name, files in cases.items():
            os.makedirs(os.path.join(d, name))
            for f, b in files.items():
                with open(os.path.join(d, name, f), "wb") as fh:
                    fh.write(b)
            print("%-44s %6d bytes" % (name, sum(len(b) for b in files.values())))
        for name, why in skipped:
            print("%-44s NOT WRITTEN: %s" % (name, why))
        print("%d cases in %s" % (len(cases), d))
        return 0
    bad = []
    have = sorted(n for n in os.listdir(d) if os.path.isdir(os.path.join(d, n)))
    if have != sorted(cases):
        bad.append("cases differ: on disk %s, built %s" % (have, sorted(cases)))
    for name, files in cases.items():
        for f, b in files.items():
            p = os.path.join(d, name, f)
            if not os.path.exists(p):
                bad.append("%s/%s missing" % (name, f))
                continue
            with open(p, "rb") as fh:
                disk = fh.read()
            if f.endswith(".npy"):
                import io
                if not np.array_equal(np.load(io.BytesIO(disk)), np.load(io.BytesIO(b))):
                    bad.append("%s/%s differs" % (name, f))
            elif disk != b:
                bad.append("%s/%s differs" % (name, f))
    for line in bad:
        print("VERIFY FAILED: " + line)
    print("%d cases verified, %d problems" % (len(cases), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""Makes python/tests/data/onnx_int8/: small ONNX models in the forms
onnxruntime.quantization.quantize_dynamic writes (com.microsoft
DynamicQuantizeLSTM; DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul
[-> Add]), built with onnx.helper, random inputs, and ONNX Runtime's
outputs for them, computed by onnxruntime-node (bench/ort/install.sh
installs it; ONNX Runtime has no Debian Python package here).

    bash bench/ort/install.sh              # once: onnxruntime-node under bench/ort
    /usr/bin/python3 tools/make_onnx_int8_vectors.py [--out DIR]
    /usr/bin/python3 tools/make_onnx_int8_vectors.py --measure   # interop.md's figures

Each case is a folder: model.onnx, in_<name>.npy (the graph inputs),
ort_<name>.npy (ONNX Runtime's outputs; CPU execution provider, one intra-op
and one inter-op thread, graph optimizations "all"). The weights are
quantized as quantize_dynamic quantizes them with weight_type QInt8
(symmetric, scale = max|w| / 127, codes in [-127, 127], zero point 0; per
tensor, or per output row / column with per_channel=True).
python/tests/test_onnx_int8.py converts each model with seqrt.onnx, runs it
on the reference backend and compares with ort_*.npy; it never runs ORT.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "python", "tests", "data", "onnx_int8")
ORT_DIR = os.path.join(ROOT, "bench", "ort")

# name: (kind, options). lstm: T, B, I, H, direction, per_channel, bias, lengths, states.
# linear: shape of x, N, per_channel, bias. lstm_linear: a DynamicQuantizeLSTM, Squeeze, then a Linear.
CASES = {
    "lstm_forward": ("lstm", dict(T=6, B=3, I=5, H=8, direction="forward", per_channel=False, bias=True,
                                  lengths=True, states=True)),
    "lstm_bidirectional": ("lstm", dict(T=5, B=3, I=4, H=6, direction="bidirectional", per_channel=True,
                                        bias=True, lengths=True, states=True)),
    "lstm_reverse_plain": ("lstm", dict(T=5, B=2, I=4, H=6, direction="reverse", per_channel=False, bias=False,
                                        lengths=False, states=False)),
    "linear_bias": ("linear", dict(x=(4, 3, 7), N=5, per_channel=False, bias=True)),
    "linear_per_channel": ("linear", dict(x=(6, 9), N=4, per_channel=True, bias=False)),
    "lstm_linear": ("lstm_linear", dict(T=5, B=2, I=4, H=6, N=3)),
}

ORT_JS = r"""
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');
(async () => {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const session = await ort.InferenceSession.create(spec.model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1,
  });
  const feeds = {};
  for (const inp of spec.inputs) {
    const buf = fs.readFileSync(inp.file);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const data = inp.dtype === 'int32' ? new Int32Array(ab) : new Float32Array(ab);
    feeds[inp.name] = new ort.Tensor(inp.dtype, data, inp.shape);
  }
  const res = await session.run(feeds);
  const outs = [];
  for (const name of session.outputNames) {
    const t = res[name];
    const file = spec.dir + '/out_' + outs.length + '.bin';
    fs.writeFileSync(file, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    outs.push({name: name, dims: t.dims, file: file});
  }
  fs.writeFileSync(spec.dir + '/outputs.json', JSON.stringify(outs));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


def quantize_weight(w, axis=None):
    """quantize_dynamic's QInt8 weights: symmetric, scale = max|w| / 127
    (per tensor, or per slice along `axis`), codes rint(w / scale) in
    [-127, 127]. (int8 codes, float32 scales)."""
    w = np.asarray(w, np.float32)
    if axis is None:
        a = np.array(np.abs(w).max(), np.float32)
    else:
        a = np.abs(w).max(axis=tuple(k for k in range(w.ndim) if k != axis)).astype(np.float32)
    scale = (a / np.float32(127)).astype(np.float32)
    shape = [1] * w.ndim
    if axis is not None:
        shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def lstm_node(helper, rng, name, x, T, B, I, H, direction, per_channel, bias, lengths, states, inits, ins):
    """A DynamicQuantizeLSTM node (and its initializers / graph inputs)."""
    from onnx import TensorProto, numpy_helper
    D = 2 if direction == "bidirectional" else 1
    # ONNX's float W [D, 4H, I], R [D, 4H, H] (gate rows i, o, f, c), quantized per direction or per row
    # and transposed to [D, I, 4H] / [D, H, 4H] as quantize_dynamic's LSTMQuant does
    W = (rng.standard_normal((D, 4 * H, I)) * 0.5).astype(np.float32)
    R = (rng.standard_normal((D, 4 * H, H)) * 0.5).astype(np.float32)
    qs = []
    for M in (W, R):
        if per_channel:
            q, s = quantize_weight(M.reshape(D * 4 * H, -1), axis=0)
            q, s = q.reshape(M.shape), s.reshape(D, 4 * H)
        else:
            q, s = zip(*[quantize_weight(M[d]) for d in range(D)])
            q, s = np.stack(q), np.array(s, np.float32).reshape(D)
        qs.append((np.ascontiguousarray(np.transpose(q, (0, 2, 1))), s))
    (Wq, Ws), (Rq, Rs) = qs
    z = np.zeros(Ws.shape, np.int8)
    names = {}
    for k, v in (("W", Wq), ("R", Rq), ("W_scale", Ws), ("W_zero_point", z), ("R_scale", Rs),
                 ("R_zero_point", z)):
        names[k] = "%s_%s" % (name, k)
        inits.append(numpy_helper.from_array(v, names[k]))
    if bias:
        names["B"] = name + "_B"
        inits.append(numpy_helper.from_array((rng.standard_normal((D, 8 * H)) * 0.3).astype(np.float32),
                                             names["B"]))
    if lengths:
        names["sequence_lens"] = "lengths"
        ins.append(helper.make_tensor_value_info("lengths", TensorProto.INT32, [B]))
    if states:
        for k in ("initial_h", "initial_c"):
            names[k] = k
            ins.append(helper.make_tensor_value_info(k, TensorProto.FLOAT, [D, B, H]))
    order = ["X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P", "W_scale", "W_zero_point",
             "R_scale", "R_zero_point"]
    names["X"] = x
    inputs = [names.get(k, "") for k in order]
    outs = [name + "_Y", name + "_Y_h", name + "_Y_c"]
    node = helper.make_node("DynamicQuantizeLSTM", inputs, outs, name=name, domain="com.microsoft",
                            hidden_size=H, direction=direction)
    return node, outs, D


def linear_nodes(helper, rng, name, x, K, N, per_channel, bias, inits):
    """quantize_dynamic's MatMul: DynamicQuantizeLinear, MatMulInteger,
    Cast, Mul of the scales, Mul [, Add of the bias]."""
    from onnx import TensorProto, numpy_helper
    Wf = (rng.standard_normal((K, N)) * 0.4).astype(np.float32)    # ONNX MatMul's B [K, N]
    Wq, Ws = quantize_weight(Wf, axis=1 if per_channel else None)
    Ws = Ws.reshape(N) if per_channel else Ws.reshape(())
    inits += [numpy_helper.from_array(Wq, name + "_W_quantized"),
              numpy_helper.from_array(Ws, name + "_W_scale"),
              numpy_helper.from_array(np.zeros(Ws.shape, np.int8), name + "_W_zero_point")]
    nodes = [
        helper.make_node("DynamicQuantizeLinear", [x], [x + "_quantized", x + "_scale", x + "_zero_point"],
                         name=x + "_QuantizeLinear"),
        helper.make_node("MatMulInteger", [x + "_quantized", name + "_W_quantized", x + "_zero_point",
                                           name + "_W_zero_point"], [name + "_output_quantized"],
                         name=name + "_quant"),
        helper.make_node("Cast", [name + "_output_quantized"], [name + "_output_quantized_cast_output"],
                         name=name + "_output_quantized_cast", to=TensorProto.FLOAT),
        helper.make_node("Mul", [x + "_scale", name + "_W_scale"], [name + "_scales_mul:0"],
                         name=name + "_scales_mul"),
        helper.make_node("Mul", [name + "_output_quantized_cast_output", name + "_scales_mul:0"],
                         [name + "_out" if bias else name + "_Y"], name=name + "_output_scale_mul"),
    ]
    if bias:
        inits.append(numpy_helper.from_array((rng.standard_normal(N) * 0.3).astype(np.float32), name + "_bias"))
        nodes.append(helper.make_node("Add", [name + "_out", name + "_bias"], [name + "_Y"], name=name + "_Add"))
    return nodes, name + "_Y"


def build(case, kind, o, rng):
    """(onnx.ModelProto, {input name: array})."""
    import onnx
    from onnx import TensorProto, helper
    inits, ins, nodes, outs, feeds = [], [], [], [], {}
    if kind in ("lstm", "lstm_linear"):
        T, B, I, H = o["T"], o["B"], o["I"], o["H"]
        ins.append(helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I]))
        if kind == "lstm":
            node, louts, D = lstm_node(helper, rng, "lstm", "X", T, B, I, H, o["direction"], o["per_channel"],
                                       o["bias"], o["lengths"], o["states"], inits, ins)
            nodes.append(node)
            outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in louts]
        else:
            node, louts, D = lstm_node(helper, rng, "lstm", "X", T, B, I, H, "forward", True, True, False, False,
                                       inits, ins)
            nodes.append(node)
            axes = "lstm_squeeze_axes"
            inits.append(onnx.numpy_helper.from_array(np.array([1], np.int64), axes))
            nodes.append(helper.make_node("Squeeze", [louts[0], axes], ["lstm_y"], name="lstm_squeeze"))
            lin, y = linear_nodes(helper, rng, "fc", "lstm_y", H, o["N"], False, True, inits)
            nodes += lin
            outs = [helper.make_tensor_value_info(y, TensorProto.FLOAT, None),
                    helper.make_tensor_value_info(louts[1], TensorProto.FLOAT, None)]
            D = 1
        x = (rng.standard_normal((T, B, I)) * 1.5).astype(np.float32)
        if o.get("lengths"):
            lens = rng.integers(1, T + 1, B).astype(np.int32)
            lens[0] = T
            feeds["lengths"] = lens
            # padding steps are zeros: ORT's input projection takes the range of every row of the first
            # max(lengths) steps, seqrt's (PyTorch's) the real steps only (docs/interop.md)
            x[np.arange(T)[:, None] >= lens[None, :]] = 0
        feeds["X"] = x
        if o.get("states"):
            feeds["initial_h"] = (rng.standard_normal((D, B, H)) * 0.5).astype(np.float32)
            feeds["initial_c"] = (rng.standard_normal((D, B, H)) * 0.5).astype(np.float32)
    else:
        shape, K = tuple(o["x"]), o["x"][-1]
        ins.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape)))
        lin, y = linear_nodes(helper, rng, "fc", "x", K, o["N"], o["per_channel"], o["bias"], inits)
        nodes += lin
        outs = [helper.make_tensor_value_info(y, TensorProto.FLOAT, None)]
        feeds["x"] = (rng.standard_normal(shape) * 2).astype(np.float32)
    graph = helper.make_graph(nodes, case, ins, outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="seqrt tools/make_onnx_int8_vectors.py")
    model.ir_version = 8
    return model, feeds


def run_ort(model_path, feeds, work):
    """ONNX Runtime's outputs {graph output name: array}, via node."""
    spec = {"model": model_path, "dir": work, "inputs": []}
    for k, (name, arr) in enumerate(feeds.items()):
        f = os.path.join(work, "in_%d.bin" % k)
        arr.tofile(f)
        spec["inputs"].append({"name": name, "file": f, "shape": list(arr.shape),
                               "dtype": "int32" if arr.dtype == np.int32 else "float32"})
    js, sp = os.path.join(work, "run.js"), os.path.join(work, "spec.json")
    open(js, "w").write(ORT_JS)
    json.dump(spec, open(sp, "w"))
    env = dict(os.environ, NODE_PATH=os.path.join(ORT_DIR, "node_modules"))
    subprocess.run(["node", js, sp], check=True, env=env)
    outs = {}
    for o in json.load(open(os.path.join(work, "outputs.json"))):
        outs[o["name"]] = np.fromfile(o["file"], np.float32).reshape(o["dims"])
    return outs


def float_twin(model):
    """The same LSTM as a plain ONNX LSTM of the dequantized weights
    (q * scale): the model int8 approximates."""
    from onnx import helper, numpy_helper
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    node = [n for n in g.node if n.op_type == "DynamicQuantizeLSTM"][0]
    new_inits = [t for t in g.initializer if t.name not in node.input[1:3] and t.name not in node.input[8:]]
    for i, si in ((1, 8), (2, 10)):
        q, sc = inits[node.input[i]].astype(np.float32), inits[node.input[si]]
        q = np.transpose(q, (0, 2, 1))                          # [D, 4H, K]
        f = q * (sc[:, :, None] if sc.ndim == 2 else sc[:, None, None])
        new_inits.append(numpy_helper.from_array(f.astype(np.float32), node.input[i] + "_float"))
    ins = list(node.input[:8])
    ins[1], ins[2] = node.input[1] + "_float", node.input[2] + "_float"
    while ins and not ins[-1]:
        ins.pop()
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    lstm = helper.make_node("LSTM", ins, list(node.output), name=node.name + "_float", **attrs)
    graph = helper.make_graph([lstm], g.name + "_float", list(g.input), list(g.output), new_inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


def measure(seed=1):
    """docs/interop.md's measurement: 36 random DynamicQuantizeLSTM models
    (4 shapes x 3 directions x 3 seeds, per tensor / per row, with and
    without initial states), each without and with unequal sequence_lens,
    run by ORT and by seqrt's reference backend (this tree's library,
    $SEQRT_LIBRARY): the largest |seqrt - ORT| over every output."""
    import onnx
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import seqrt.onnx as so
    from seqrt import formats
    res = {False: [], True: []}
    k = 0
    for T, B, I, H in [(5, 3, 4, 6), (10, 4, 8, 16), (8, 2, 5, 12), (12, 3, 6, 8)]:
        for direction in ("forward", "bidirectional", "reverse"):
            for lengths in (False, True):
                for r in range(3):
                    k += 1
                    o = dict(T=T, B=B, I=I, H=H, direction=direction, per_channel=bool(r % 2), bias=True,
                             lengths=lengths, states=r != 1)
                    model, feeds = build("m", "lstm", o, np.random.default_rng(seed * 1000 + k))
                    work = tempfile.mkdtemp(prefix="onnx_int8_")
                    try:
                        path = os.path.join(work, "m.onnx")
                        onnx.save(model, path)
                        ort = run_ort(path, feeds, work)
                        onnx.save(float_twin(model), os.path.join(work, "f.onnx"))
                        ref = run_ort(os.path.join(work, "f.onnx"), feeds, work)
                        rep = so.convert(path, os.path.join(work, "m.json"))
                        got = formats.run_model(os.path.join(work, "m.json"),
                                                {rep.inputs[n][0]: v for n, v in feeds.items()})
                    finally:
                        shutil.rmtree(work, ignore_errors=True)
                    d = max(float(np.abs(rep.to_onnx(n, got[rep.outputs[n][0]]) - want).max())
                            for n, want in ort.items())
                    q = max(float(np.abs(ref[n] - want).max()) for n, want in ort.items())
                    res[lengths].append((d, q))
    for lengths, v in res.items():
        v = np.array(v)
        print("%-22s %d models: max |seqrt - ORT| %.3g, median %.3g; int8's own effect max |ORT - ORT f32| "
              "median %.3g; largest ratio of the two %.3g" % (
                  "unequal sequence_lens" if lengths else "no sequence_lens", len(v), v[:, 0].max(),
                  np.median(v[:, 0]), np.median(v[:, 1]), (v[:, 0] / v[:, 1]).max()))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--measure", action="store_true",
                    help="instead: compare ORT and seqrt on 72 random LSTMs (docs/interop.md's figures)")
    args = ap.parse_args(argv)
    if not os.path.isdir(os.path.join(ORT_DIR, "node_modules", "onnxruntime-node")):
        print("onnxruntime-node is not installed: bash bench/ort/install.sh", file=sys.stderr)
        return 2
    if args.measure:
        measure()
        return 0
    import onnx
    rng = np.random.default_rng(20261204)
    for case, (kind, o) in CASES.items():
        model, feeds = build(case, kind, o, rng)
        d = os.path.join(args.out, case)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        for name, arr in feeds.items():
            np.save(os.path.join(d, "in_%s.npy" % name), arr)
        work = tempfile.mkdtemp(prefix="onnx_int8_")
        try:
            outs = run_ort(path, feeds, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for name, arr in outs.items():
            np.save(os.path.join(d, "ort_%s.npy" % name), arr)
        print("%-20s %s" % (case, ", ".join("%s %s" % (n, list(a.shape)) for n, a in outs.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python3
"""Convert an ONNX model to seqrt: a JSON description plus safetensors weights.

    /usr/bin/python3 tools/onnx2seqrt.py MODEL.onnx OUT.json [--const NAME=FILE.npy ...]
                                         [--name NAME] [--weights-dtype F32]
    /usr/bin/python3 tools/onnx2seqrt.py --node-tests [--seqrt build/bin/seqrt]

or from Python (Debian's python3-onnx; no onnxruntime needed):

    import onnx2seqrt
    report = onnx2seqrt.convert("model.onnx", "out/model.json")
    print(report)                       # how ONNX inputs/outputs map onto seqrt's
    y = report.to_onnx("Y", seqrt_y)    # seqrt's layout -> the ONNX output's layout

Supported (docs/interop.md has the details):

  LSTM, GRU, RNN   gate rows reordered (LSTM i,o,f,c -> i,f,g,o; GRU z,r,h ->
                   r,z,n), peepholes P = [p_i, p_o, p_f] -> weight_pi/pf/po,
                   B = [Wb, Rb] split into bias_ih / bias_hh, layout 1 ->
                   batch_first, sequence_lens -> the `lengths` slot,
                   initial_h / initial_c -> h0 / c0, direction forward or
                   bidirectional, GRU linear_before_reset, RNN Tanh or Relu.
                   Rejected with a message: input_forget=1 (not seqrt's coupled
                   gate), clip, non-default activations, direction reverse.
  Gemm, MatMul     with a constant weight -> linear (alpha, beta, transB folded
                   in; a following Add of a constant vector becomes its bias)
  Gather           of a constant table by ids -> embedding; of one position
                   -> select
  Softmax, LogSoftmax, Relu, Tanh, Sigmoid, Gelu, Add, Mul, Concat, Identity,
  Dropout, Cast (to float)
  Squeeze / Transpose / Reshape that only turn an RNN's Y [T, D, B, H] into
  [T, B, D*H] (what PyTorch's exporter writes) are absorbed.

seqrt's recurrent outputs are [T, B, D*H] (Y), and its states are always
[D, B, H] (Y_h, Y_c, initial_h/c, also under layout 1); the report and the
description's metadata.onnx say which graph input/output has another layout
and how to convert it.
"""

import argparse
import os
import re
import sys
from collections import OrderedDict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seqrt_formats as sf  # noqa: E402


class ConvertError(Exception):
    """The ONNX model has a part seqrt cannot run."""


# ONNX gate row blocks -> PyTorch's order
GATE_PERM = {"LSTM": [0, 2, 3, 1],   # i, o, f, c -> i, f, g(c), o
             "GRU": [1, 0, 2],       # z, r, h -> r, z, n
             "RNN": [0]}
DEFAULT_ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
ACT_OPS = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Gelu": "gelu"}
ELEM = {1: "float32", 6: "int32", 7: "int64"}
# ops evaluated with NumPy when every input is a constant
FOLD = {"Concat", "Slice", "Unsqueeze", "Squeeze", "Transpose", "Reshape", "Gather", "Add", "Sub", "Mul",
        "Div", "Shape", "Identity", "Cast", "Dropout", "ConstantOfShape", "MatMul"}


def _reorder(w, perm, H):
    return np.concatenate([w[g * H:(g + 1) * H] for g in perm], axis=0)


def _ident(name, fallback):
    s = re.sub(r"[^A-Za-z0-9_.]", "_", name or "").strip("._")
    s = re.sub(r"_+", "_", s)
    if not s or not (s[0].isalpha() or s[0] == "_"):
        s = fallback + ("_" + s if s else "")
    return s


class _V:
    """An ONNX tensor that is a seqrt value. form: None (same layout), or
    ("Y", D, H, layout) for an RNN's Y ([T, D, B, H] / [B, T, D, H] in ONNX,
    [T, B, D*H] / [B, T, D*H] in seqrt), ("Yt", D, H) for Y transposed to
    [T, B, D, H], ("S",) for a state under layout 1 (ONNX [B, D, H], seqrt
    [D, B, H]). swap: the ONNX tensor is the seqrt value with its first two
    axes exchanged (PyTorch's exporter transposes batch_first sequences to
    [T, B, F] around each RNN; seqrt keeps them [B, T, F])."""

    def __init__(self, name, form=None, layer=None, swap=False):
        self.name, self.form, self.layer, self.swap = name, form, layer, swap


class _C:
    """A constant (initializer, Constant node, frozen input)."""

    def __init__(self, value):
        self.value = np.asarray(value)


class _Shape:
    """A value computed from shapes only (Shape, ConstantOfShape, ...): its
    numbers are unknown, but zeros stay zeros."""

    def __init__(self, zeros=False):
        self.zeros = zeros


class Report:
    """What convert() wrote and how the ONNX graph's inputs and outputs map
    onto the seqrt model's."""

    def __init__(self, json_path, weights_path, inputs, outputs, layers, notes):
        self.json_path, self.weights_path = json_path, weights_path
        self.inputs, self.outputs = inputs, outputs     # onnx name -> (seqrt name, layout note)
        self.layers, self.notes = layers, notes

    def to_seqrt(self, onnx_input, arr):
        """An array for ONNX graph input `onnx_input`, in the seqrt input's layout."""
        _, how = self.inputs[onnx_input]
        a = np.asarray(arr)
        if how == "transpose(1,0,2)":
            a = a.transpose(1, 0, 2)
        return np.ascontiguousarray(a)

    def to_onnx(self, onnx_output, arr):
        """seqrt's array for ONNX graph output `onnx_output`, in ONNX's layout:
        applies the steps of its layout note ("a; b": a, then b)."""
        _, how = self.outputs[onnx_output]
        a = np.asarray(arr)
        for step in (how or "").split("; "):
            m = re.match(r"reshape\[(T,B|B,T),(\d+),(\d+)\](\.transpose\(0,2,1,3\))?$", step)
            if m:
                a = a.reshape(a.shape[0], a.shape[1], int(m.group(2)), int(m.group(3)))
                if m.group(4):
                    a = a.transpose(0, 2, 1, 3)
            elif step == "transpose(1,0,2)":
                a = a.transpose(1, 0, 2)
            elif step:
                raise ValueError("unknown layout step %r" % step)
        return a

    def __str__(self):
        lines = ["wrote %s and %s: %d layers" % (self.json_path, self.weights_path, self.layers)]
        for kind, table in (("input", self.inputs), ("output", self.outputs)):
            for o, (s, how) in table.items():
                lines.append("  %s %-20s -> %s%s" % (kind, o, s, " (%s)" % how if how else ""))
        for n in self.notes:
            lines.append("  note: " + n)
        return "\n".join(lines)


class _Converter:
    def __init__(self, model, constants):
        import onnx
        from onnx import numpy_helper, helper, shape_inference
        self.onnx, self.nh, self.helper = onnx, numpy_helper, helper
        try:
            model = shape_inference.infer_shapes(model)
        except Exception:  # noqa: BLE001 - shapes only help
            pass
        self.model, self.g = model, model.graph
        self.opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=1)
        self.env = {}
        self.layers, self.weights = [], OrderedDict()
        self.names = set()
        self.inputs = OrderedDict()        # seqrt input name -> (dtype, shape)
        self.in_map, self.out_map = OrderedDict(), OrderedDict()
        self.notes = []
        self.batch_first = None
        self.consumers = {}
        for node in self.g.node:
            for i in node.input:
                if i:
                    self.consumers[i] = self.consumers.get(i, 0) + 1
        for o in self.g.output:
            self.consumers[o.name] = self.consumers.get(o.name, 0) + 1
        self.shapes = {}
        for vi in list(self.g.input) + list(self.g.value_info) + list(self.g.output):
            t = vi.type.tensor_type
            if t.HasField("shape"):
                self.shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else
                                        (d.dim_param or None) for d in t.shape.dim]
        for init in self.g.initializer:
            self.env[init.name] = _C(numpy_helper.to_array(init))
        for name, arr in (constants or {}).items():
            self.env[name] = _C(arr)

    # ---- helpers
    def err(self, node, msg):
        raise ConvertError("%s node '%s': %s" % (node.op_type, node.name or node.output[0], msg))

    def unique(self, base):
        name, k = base, 2
        while name in self.names:
            name = "%s_%d" % (base, k)
            k += 1
        self.names.add(name)
        return name

    def attrs(self, node):
        out = {}
        for a in node.attribute:
            v = self.helper.get_attribute_value(a)
            if isinstance(v, bytes):
                v = v.decode()
            elif isinstance(v, list):
                v = [x.decode() if isinstance(x, bytes) else x for x in v]
            out[a.name] = v
        return out

    def get(self, node, i):
        if i >= len(node.input) or not node.input[i]:
            return None
        name = node.input[i]
        if name not in self.env:
            self.err(node, "input '%s' is not defined before it is used" % name)
        return self.env[name]

    def value(self, node, i, what, swap_ok=False):
        r = self.get(node, i)
        if isinstance(r, _V):
            if r.swap and not swap_ok:
                self.err(node, "%s is a sequence that the graph transposed between [T, B, F] and [B, T, F]; seqrt "
                         "only follows that through recurrent and per-step ops" % what)
            if r.form is not None:
                self.err(node, "%s is an RNN output in ONNX's [T, D, B, H] layout; seqrt's is [T, B, D*H]: "
                         "only Squeeze/Transpose+Reshape to [T, B, D*H] can follow it" % what)
            return r
        if r is None:
            self.err(node, "%s is missing" % what)
        self.err(node, "%s must be computed from the graph's inputs, but it is a constant (seqrt has no constant "
                 "values; only weights)" % what)

    def const(self, node, i, what, optional=False):
        r = self.get(node, i)
        if r is None and optional:
            return None
        if not isinstance(r, _C):
            self.err(node, "%s must be a constant (an initializer); it is computed at run time" % what)
        return r.value.astype(np.float32) if r.value.dtype.kind == "f" else r.value

    def layer(self, node, op, inputs, attrs=None, weights=None):
        base = node.name or (node.output[0] if hasattr(node, "output") else "")
        name = self.unique(_ident(base, op))
        L = OrderedDict([("op", op), ("name", name), ("inputs", inputs)])
        for k, v in (attrs or {}).items():
            L[k] = v
        self.layers.append(L)
        for k, v in (weights or {}).items():
            self.weights["%s.%s" % (name, k)] = np.asarray(v, dtype=np.float32)
        return name

    def set_bf(self, node, bf):
        if self.batch_first is None:
            self.batch_first = bf
        elif self.batch_first != bf:
            self.err(node, "layout %d, but another node uses layout %d: seqrt's batch_first is model-wide"
                     % (int(bf), int(self.batch_first)))

    # ---- graph
    def convert(self):
        inits = {i.name for i in self.g.initializer}
        for gi in self.g.input:
            if gi.name in inits or gi.name in self.env:
                continue
            t = gi.type.tensor_type
            if t.elem_type not in ELEM:
                raise ConvertError("graph input '%s' has element type %d; seqrt takes float32, int32, int64"
                                   % (gi.name, t.elem_type))
            shape = []
            for k, d in enumerate(t.shape.dim):
                if d.HasField("dim_value"):
                    shape.append(int(d.dim_value))
                else:
                    shape.append(_ident(d.dim_param, "d") if d.dim_param else "%s_%d" % (_ident(gi.name, "x"), k))
            name = self.unique(_ident(gi.name, "input"))
            self.inputs[name] = [ELEM[t.elem_type], shape]
            self.in_map[gi.name] = (name, "")
            self.env[gi.name] = _V(name)
        for node in self.g.node:
            self.node(node)
        outs = []
        for go in self.g.output:
            r = self.env.get(go.name)
            if not isinstance(r, _V):
                raise ConvertError("graph output '%s' is %s; seqrt's outputs are computed values"
                                   % (go.name, "a constant" if isinstance(r, _C) else "not computed"))
            steps = ["transpose(1,0,2)"] if r.swap else []
            if r.form and r.form[0] == "Y":
                _, D, H, layout = r.form
                steps.append(("reshape[B,T,%d,%d]" % (D, H)) if layout else
                             ("reshape[T,B,%d,%d].transpose(0,2,1,3)" % (D, H)))
            elif r.form and r.form[0] == "S":
                steps.append("transpose(1,0,2)")
            elif r.form:
                raise ConvertError("graph output '%s' is an RNN output half-way through a layout change" % go.name)
            how = "; ".join(steps)
            if r.name in self.inputs:   # the graph returns an input: seqrt's outputs are layer values
                r = _V(self.layer(go, "dropout", {"x": r.name}, {"p": 0.0}))
            outs.append(r.name)
            self.out_map[go.name] = (r.name, how)
        return outs

    def node(self, node):
        op = node.op_type
        h = getattr(self, "op_" + op, None)
        if node.domain not in ("", "ai.onnx") or (h is None and op not in FOLD):
            self.err(node, "op %s%s has no seqrt equivalent" % (node.domain + "." if node.domain else "", op))
        ins = [self.env.get(i) if i else None for i in node.input]
        if op in FOLD and ins and all(isinstance(r, _C) or r is None for r in ins) and op != "Constant":
            res = self.fold(node, self.attrs(node), [None if r is None else r.value for r in ins])
        elif h is None:
            self.err(node, "%s of computed values has no seqrt op" % op)
        else:
            res = h(node, self.attrs(node))
        if not isinstance(res, (list, tuple)):
            res = [res]
        for name, r in zip(node.output, res):
            if name and r is not None:
                self.env[name] = r

    # ---- constant folding (PyTorch's exporter slices and concatenates weights)
    def fold(self, node, a, x):
        op = node.op_type
        try:
            if op == "Concat":
                return _C(np.concatenate([v for v in x if v is not None], axis=int(a.get("axis", 0))))
            if op == "Slice":
                if self.opset < 10:
                    starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
                else:
                    starts, ends = x[1], x[2]
                    axes = x[3] if len(x) > 3 else None
                    steps = x[4] if len(x) > 4 else None
                v = x[0]
                axes = list(range(len(starts))) if axes is None else [int(k) for k in np.reshape(axes, -1)]
                steps = [1] * len(axes) if steps is None else [int(k) for k in np.reshape(steps, -1)]
                idx = [slice(None)] * v.ndim
                for ax, b, e, st in zip(axes, np.reshape(starts, -1), np.reshape(ends, -1), steps):
                    b, e = int(b), int(e)
                    n = v.shape[ax]
                    b = max(min(b + n if b < 0 else b, n), 0) if st > 0 else max(min(b + n if b < 0 else b, n - 1), -1)
                    e = max(min(e + n if e < 0 else e, n), 0) if st > 0 else max(min(e + n if e < 0 else e, n), -1)
                    idx[ax] = slice(b, e if e >= 0 else None, st)
                return _C(v[tuple(idx)])
            if op in ("Unsqueeze", "Squeeze"):
                axes = a.get("axes")
                if axes is None and len(x) > 1 and x[1] is not None:
                    axes = [int(k) for k in np.reshape(x[1], -1)]
                v = x[0]
                if op == "Squeeze":
                    return _C(np.squeeze(v, axis=None if axes is None else tuple(k % v.ndim for k in axes)))
                r = v.ndim + len(axes)
                for k in sorted(k % r for k in axes):
                    v = np.expand_dims(v, k)
                return _C(v)
            if op == "Transpose":
                return _C(np.transpose(x[0], a.get("perm")))
            if op == "Reshape":
                shape = [int(k) for k in np.reshape(x[1], -1)]
                shape = [x[0].shape[i] if k == 0 else k for i, k in enumerate(shape)]
                return _C(x[0].reshape(shape))
            if op == "Gather":
                return _C(np.take(x[0], x[1], axis=int(a.get("axis", 0))))
            if op in ("Add", "Sub", "Mul", "Div"):
                f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
                return _C(f(x[0], x[1]))
            if op == "Shape":
                return _C(np.array(x[0].shape, dtype=np.int64))
            if op in ("Identity", "Cast", "Dropout"):
                return _C(x[0])
            if op == "ConstantOfShape":
                return self.op_ConstantOfShape(node, a)
            if op == "MatMul":
                return _C(np.matmul(x[0], x[1]))
        except (ValueError, IndexError, KeyError, TypeError) as e:
            self.err(node, "cannot evaluate on constants: %s" % e)
        self.err(node, "%s of constants is not supported" % op)

    # ---- recurrent
    def op_LSTM(self, node, a):
        return self.recurrent(node, a)

    def op_GRU(self, node, a):
        return self.recurrent(node, a)

    def op_RNN(self, node, a):
        return self.recurrent(node, a)

    def recurrent(self, node, a):
        op = node.op_type
        kind = op.lower()
        if a.get("input_forget", 0):
            self.err(node, "input_forget=1 couples the input gate to the forget gate in ONNX's own way, which is "
                     "not seqrt's coupled (CIFG) gate (i = 1 - f) and which runtimes evaluate differently: "
                     "rejected rather than mapped onto it")
        if "clip" in a:
            self.err(node, "clip=%g: seqrt's cells do not clip" % a["clip"])
        direction = a.get("direction", "forward")
        if direction == "reverse":
            self.err(node, "direction=reverse: seqrt runs forward or bidirectional")
        D = 2 if direction == "bidirectional" else 1
        acts = a.get("activations")
        nl = "tanh"
        if acts:
            want = DEFAULT_ACTS[op] * D
            if op == "RNN" and acts in (["Relu"] * D,):
                nl = "relu"
            elif [x.lower() for x in acts] != [x.lower() for x in want]:
                self.err(node, "activations %s: seqrt's %s uses %s" % (acts, kind, DEFAULT_ACTS[op]))
        for k in ("activation_alpha", "activation_beta"):
            if k in a:
                self.err(node, "%s is not supported" % k)
        H = int(a["hidden_size"])
        layout = int(a.get("layout", 0))
        x = self.value(node, 0, "X", swap_ok=True)
        self.set_bf(node, bool(layout) != x.swap)
        W = self.const(node, 1, "W")
        R = self.const(node, 2, "R")
        B = self.const(node, 3, "B", optional=True)
        seq = self.get(node, 4)
        h0 = self.get(node, 5)
        c0 = self.get(node, 6) if op == "LSTM" else None
        P = self.const(node, 7, "P", optional=True) if op == "LSTM" else None
        perm = GATE_PERM[op]
        G = len(perm)
        I = W.shape[2]
        if W.shape != (D, G * H, I) or R.shape != (D, G * H, H):
            self.err(node, "W %s / R %s do not match hidden_size %d, %d direction(s)" % (W.shape, R.shape, H, D))
        w = OrderedDict()
        for d in range(D):
            s = "_reverse" if d else ""
            w["weight_ih_l0" + s] = _reorder(W[d], perm, H)
            w["weight_hh_l0" + s] = _reorder(R[d], perm, H)
            if B is not None:
                w["bias_ih_l0" + s] = _reorder(B[d][:G * H], perm, H)
                w["bias_hh_l0" + s] = _reorder(B[d][G * H:], perm, H)
            if P is not None:   # ONNX P = [p_i, p_o, p_f]
                w["weight_pi_l0" + s] = P[d][:H]
                w["weight_pf_l0" + s] = P[d][2 * H:3 * H]
                w["weight_po_l0" + s] = P[d][H:2 * H]
        ins = OrderedDict([("x", x.name)])
        for slot, r in (("h0", h0), ("c0", c0)):
            if r is None or (isinstance(r, _Shape) and r.zeros):
                continue
            if isinstance(r, _C):
                if np.any(r.value != 0):
                    self.err(node, "a constant non-zero initial state: seqrt takes initial states as inputs")
                continue
            if not isinstance(r, _V) or r.form is not None:
                self.err(node, "the initial state must be a graph input or computed value")
            if layout:
                # ONNX [B, D, H]; seqrt's states are [D, B, H]: only a graph input can be re-laid out
                src = [k for k, (n, _) in self.in_map.items() if n == r.name]
                if not src:
                    self.err(node, "under layout 1 the initial state must be a graph input (seqrt takes it as "
                             "[D, B, H])")
                self.in_map[src[0]] = (r.name, "transpose(1,0,2)")
                shp = self.inputs[r.name][1]
                if len(shp) == 3:
                    self.inputs[r.name][1] = [shp[1], shp[0], shp[2]]
            ins[slot] = r.name
        if seq is not None and not (isinstance(seq, _Shape)):
            if isinstance(seq, _C):
                self.err(node, "a constant sequence_lens: give it as a graph input (seqrt's lengths)")
            ins["lengths"] = self.value(node, 4, "sequence_lens").name
        attrs = OrderedDict([("input_size", int(I)), ("hidden_size", H)])
        if D == 2:
            attrs["bidirectional"] = True
        if B is None:
            attrs["bias"] = False
        if P is not None:
            attrs["peephole"] = True
        if op == "GRU":
            attrs["linear_before_reset"] = bool(a.get("linear_before_reset", 0))
        if op == "RNN" and nl != "tanh":
            attrs["nonlinearity"] = nl
        name = self.layer(node, kind, ins, attrs, w)
        outs = [_V(name, ("Y", D, H, layout), name, swap=x.swap),
                _V(name + ":h_n", ("S",) if layout else None, name)]
        if op == "LSTM":
            outs.append(_V(name + ":c_n", ("S",) if layout else None, name))
        return outs

    # ---- layout plumbing after an RNN
    def op_Squeeze(self, node, a):
        r = self.get(node, 0)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = [int(v) for v in np.asarray(self.const(node, 1, "axes")).reshape(-1)]
        if isinstance(r, _V) and r.form and r.form[0] == "Y":
            _, D, H, layout = r.form
            want = 2 if layout else 1
            if D == 1 and axes is not None and [x % 4 for x in axes] == [want]:
                return _V(r.name, None, r.layer, r.swap)
        if isinstance(r, _Shape):
            return r
        self.err(node, "Squeeze is only supported to drop the direction axis of a one-direction RNN's Y")

    def op_Transpose(self, node, a):
        r = self.get(node, 0)
        perm = list(a.get("perm", []))
        if isinstance(r, _V) and r.form and r.form[0] == "Y" and not r.form[3] and perm == [0, 2, 1, 3]:
            return _V(r.name, ("Yt", r.form[1], r.form[2]), r.layer, r.swap)
        if isinstance(r, _V) and r.form is None and perm == [1, 0, 2]:
            return _V(r.name, None, r.layer, not r.swap)
        self.err(node, "Transpose is only supported to exchange a sequence's first two axes ([T, B, F] <-> "
                 "[B, T, F]) or to turn an RNN's Y [T, D, B, H] into [T, B, D, H]")

    def op_Reshape(self, node, a):
        r = self.get(node, 0)
        target = self.get(node, 1)
        if isinstance(r, _V) and r.form and r.form[0] in ("Y", "Yt") and isinstance(target, _C):
            t = [int(v) for v in target.value.reshape(-1)]
            D, H = r.form[1], r.form[2]
            ok_y = r.form[0] == "Yt" or (r.form[0] == "Y" and (D == 1 or r.form[3] == 1))
            if ok_y and len(t) == 3 and t[2] in (-1, D * H) and all(v in (0, -1) or v > 0 for v in t[:2]):
                return _V(r.name, None, r.layer, r.swap)
        self.err(node, "Reshape is only supported to merge an RNN's Y directions into [T, B, D*H]")

    # ---- shape-only subgraphs (PyTorch's exporter builds zero states from shapes)
    def op_Shape(self, node, a):
        return _Shape()

    def _shape_like(self, node, a):
        """Shape-only values stay shape-only; zeros stay zeros through Slice,
        Unsqueeze, Squeeze."""
        ins = [self.get(node, i) for i in range(len(node.input))]
        if ins and all(isinstance(r, (_Shape, _C)) or r is None for r in ins) and \
                any(isinstance(r, _Shape) for r in ins):
            return _Shape(zeros=isinstance(ins[0], _Shape) and ins[0].zeros and
                          node.op_type in ("Slice", "Unsqueeze", "Squeeze"))
        return None

    def op_ConstantOfShape(self, node, a):
        v = a.get("value")
        val = 0.0 if v is None else float(self.nh.to_array(v).reshape(-1)[0])
        src = self.get(node, 0)
        if isinstance(src, _C):
            return _C(np.full([int(x) for x in src.value.reshape(-1)], val, dtype=np.float32))
        return _Shape(zeros=(val == 0.0))

    def op_Expand(self, node, a):
        r = self.get(node, 0)
        if isinstance(r, (_C, _Shape)) and (isinstance(r, _Shape) and r.zeros or
                                            isinstance(r, _C) and not np.any(r.value)):
            return _Shape(zeros=True)
        self.err(node, "Expand is only supported to build zero initial states")

    def _passthrough_shape(self, node, a):
        r = self._shape_like(node, a)
        if r is not None:
            return r
        self.err(node, "%s on computed values has no seqrt op" % node.op_type)

    def op_Unsqueeze(self, node, a):
        return self._passthrough_shape(node, a)

    def op_Slice(self, node, a):
        return self._passthrough_shape(node, a)

    def op_Constant(self, node, a):
        if "value" in a:
            return _C(self.nh.to_array(a["value"]))
        for k in ("value_float", "value_int"):
            if k in a:
                return _C(np.array(a[k]))
        for k in ("value_floats", "value_ints"):
            if k in a:
                return _C(np.array(a[k]))
        self.err(node, "Constant with attribute %s is not supported" % list(a))

    # ---- dense
    def op_Gemm(self, node, a):
        x = self.value(node, 0, "A", swap_ok=True)
        Bm = self.const(node, 1, "B (the weight)")
        C = self.const(node, 2, "C (the bias)", optional=True)
        if a.get("transA", 0):
            self.err(node, "transA=1 transposes the computed input, and seqrt has no transpose op")
        alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
        Wt = Bm if a.get("transB", 0) else Bm.T   # [N, K]
        N = Wt.shape[0]
        w = OrderedDict([("weight", alpha * Wt)])
        attrs = OrderedDict([("in_features", int(Wt.shape[1])), ("out_features", int(N))])
        if C is not None:
            b = self.bias_vector(node, C, N)
            w["bias"] = beta * b
        else:
            attrs["bias"] = False
        return _V(self.layer(node, "linear", {"x": x.name}, attrs, w), swap=x.swap)

    def bias_vector(self, node, C, N):
        c = np.asarray(C, dtype=np.float32)
        if c.ndim == 0 or c.size == 1:
            return np.full(N, float(c.reshape(-1)[0]), dtype=np.float32)
        if c.ndim == 1 and c.shape[0] == N or c.ndim == 2 and c.shape == (1, N):
            return c.reshape(N)
        self.err(node, "bias of shape %s: seqrt's linear bias is one value per output feature ([%d]); a bias "
                 "per row depends on the batch" % (list(c.shape), N))

    def op_MatMul(self, node, a):
        x = self.get(node, 0)
        w = self.get(node, 1)
        if isinstance(x, _V) and isinstance(w, _C):
            x = self.value(node, 0, "A", swap_ok=True)
            W = w.value.astype(np.float32)
            if W.ndim != 2:
                self.err(node, "a weight of rank %d: seqrt's linear takes a [K, N] matrix" % W.ndim)
            return _V(self.layer(node, "linear", {"x": x.name},
                                 OrderedDict([("in_features", int(W.shape[0])), ("out_features", int(W.shape[1])),
                                              ("bias", False)]), {"weight": W.T}), swap=x.swap)
        self.err(node, "MatMul of two computed values has no seqrt op (if the weight is a graph input, make it a constant: --const NAME=FILE.npy)")

    def op_Add(self, node, a):
        return self.binary(node, "add")

    def op_Mul(self, node, a):
        return self.binary(node, "mul")

    def binary(self, node, op):
        x, y = self.get(node, 0), self.get(node, 1)
        if isinstance(x, _V) and isinstance(y, _V):
            vs = [self.value(node, 0, "A", swap_ok=True), self.value(node, 1, "B", swap_ok=True)]
            swap = self.same_swap(node, vs)
            return _V(self.layer(node, op, OrderedDict([("a", x.name), ("b", y.name)])), swap=swap)
        v, c = (x, y) if isinstance(x, _V) else (y, x)
        if op == "add" and isinstance(v, _V) and v.form is None and isinstance(c, _C):
            L = next((L for L in self.layers if L["name"] == v.name), None)
            if L is not None and L["op"] == "linear" and self.consumers.get(self.producer_output(v.name), 0) == 1:
                N = L["out_features"]
                b = self.bias_vector(node, c.value, N)
                key = L["name"] + ".bias"
                self.weights[key] = self.weights.get(key, np.zeros(N, np.float32)) + b
                L.pop("bias", None)
                return _V(v.name, swap=v.swap)
        if op == "mul" and isinstance(c, _C) and c.value.size == 1 and float(c.value.reshape(-1)[0]) == 1.0:
            return v
        self.err(node, "%s of a computed value and a constant: seqrt only folds a constant vector added to a "
                 "linear layer's output into its bias" % op.capitalize())

    def producer_output(self, value_name):
        for node in self.g.node:
            for o in node.output:
                r = self.env.get(o)
                if isinstance(r, _V) and r.name == value_name:
                    return o
        return None

    # ---- elementwise and friends
    def act(self, node, a):
        x = self.value(node, 0, "X", swap_ok=True)
        return _V(self.layer(node, "activation", {"x": x.name}, {"function": ACT_OPS[node.op_type]}), swap=x.swap)

    op_Relu = op_Tanh = op_Sigmoid = act

    def op_Gelu(self, node, a):
        if a.get("approximate", "none") != "none":
            self.err(node, "approximate=tanh: seqrt's gelu is the erf form")
        return self.act(node, a)

    def softmax(self, node, a, op):
        x = self.value(node, 0, "input", swap_ok=True)
        rank = len(self.shapes.get(node.input[0], [])) or None
        if self.opset >= 13:
            axis = int(a.get("axis", -1))
        else:
            axis = int(a.get("axis", 1))
            if rank is None or axis % rank != rank - 1:
                self.err(node, "opset %d %s flattens the input to 2-D around axis %d; seqrt's matches only when "
                         "that is the last axis" % (self.opset, node.op_type, axis))
        if x.swap and (rank is None and axis != -1 or rank is not None and axis % rank != rank - 1):
            self.err(node, "%s along axis %d of a transposed sequence" % (node.op_type, axis))
        attrs = {"axis": axis} if ("axis" in a or self.opset < 13) else {}
        return _V(self.layer(node, op, {"x": x.name}, attrs), swap=x.swap)

    def op_Softmax(self, node, a):
        return self.softmax(node, a, "softmax")

    def op_LogSoftmax(self, node, a):
        return self.softmax(node, a, "log_softmax")

    def op_Identity(self, node, a):
        return self.get(node, 0)

    def op_Dropout(self, node, a):
        r = self.get(node, 0)
        if len(node.output) > 1 and node.output[1]:
            self.err(node, "the mask output is not supported")
        return r

    def op_Cast(self, node, a):
        r = self.get(node, 0)
        if isinstance(r, _C):
            return r
        if int(a.get("to", 1)) in (1, 6, 7, 11):
            return r
        self.err(node, "Cast to element type %s is not supported" % a.get("to"))

    def op_Concat(self, node, a):
        r = self._shape_like(node, a)
        if r is not None:
            return r
        vs = [self.value(node, i, "input %d" % i, swap_ok=True) for i in range(len(node.input))]
        axis = int(a.get("axis", 0))
        swap = self.same_swap(node, vs)
        if swap:
            rank = len(self.shapes.get(node.input[0], [])) or 3
            if axis % rank != rank - 1:
                self.err(node, "Concat along axis %d of transposed sequences" % axis)
        return _V(self.layer(node, "concat", {"x": [v.name for v in vs]}, {"axis": axis}), swap=swap)

    def same_swap(self, node, vs):
        if len({v.swap for v in vs}) > 1:
            self.err(node, "its inputs are sequences in different layouts ([T, B, F] and [B, T, F])")
        return vs[0].swap if vs else False

    def op_Gather(self, node, a):
        data, idx = self.get(node, 0), self.get(node, 1)
        axis = int(a.get("axis", 0))
        if isinstance(data, _C) and isinstance(idx, _V):
            table = data.value.astype(np.float32)
            if table.ndim != 2 or axis != 0:
                self.err(node, "an embedding is a Gather of a 2-D table along axis 0")
            self.value(node, 1, "indices")
            return _V(self.layer(node, "embedding", {"x": idx.name},
                                 OrderedDict([("num_embeddings", int(table.shape[0])),
                                              ("embedding_dim", int(table.shape[1]))]), {"weight": table}))
        if isinstance(data, _V) and isinstance(idx, _C) and idx.value.ndim == 0:
            x = self.value(node, 0, "data", swap_ok=True)
            if x.swap:
                rank = len(self.shapes.get(node.input[0], [])) or 3
                axis = {0: 1, 1: 0}.get(axis % rank, axis % rank)
            return _V(self.layer(node, "select", {"x": x.name},
                                 OrderedDict([("axis", axis), ("index", int(idx.value))])))
        if isinstance(data, _Shape) or isinstance(idx, _Shape):
            return _Shape()
        if isinstance(data, _C) and isinstance(idx, _C):
            return _C(np.take(data.value, idx.value, axis=axis))
        self.err(node, "Gather is supported as an embedding (a constant table, computed ids) or to select one "
                 "position (a constant scalar index)")


def convert(model, json_path, constants=None, name=None, weights_dtype="F32"):
    """Converts `model` (an onnx.ModelProto or a path) into `json_path` and
    its .safetensors. constants: {graph input name: array} made constants
    (weights that a graph takes as inputs). Returns a Report; raises
    ConvertError naming the node it cannot convert."""
    import onnx
    if isinstance(model, str):
        model = onnx.load(model)
    if not json_path.endswith(".json"):
        raise ConvertError("the description's path must end in .json: %s" % json_path)
    conv = _Converter(model, dict(constants or {}))
    outputs = conv.convert()
    used = set()
    for L in conv.layers:
        for v in L["inputs"].values():
            for n in (v if isinstance(v, list) else [v]):
                used.add(n.split(":")[0])
    used.update(o.split(":")[0] for o in outputs)
    inputs = [OrderedDict([("name", n), ("dtype", d), ("shape", s)]) for n, (d, s) in conv.inputs.items()
              if n in used]
    for k in [k for k, (n, _) in conv.in_map.items() if n not in used]:
        conv.notes.append("graph input '%s' is not used by any layer: dropped" % k)
        del conv.in_map[k]
    if not conv.layers and not outputs:
        raise ConvertError("the graph has no node seqrt can run")
    weights_path = json_path[:-5] + ".safetensors"
    graph_name = model.graph.name or "onnx_model"
    meta = OrderedDict([("converted_from", "ONNX (opset %d) by tools/onnx2seqrt.py" % conv.opset),
                        ("onnx", OrderedDict([
                            ("inputs", OrderedDict((k, OrderedDict([("value", n)] + ([("layout", h)] if h else [])))
                                                   for k, (n, h) in conv.in_map.items())),
                            ("outputs", OrderedDict((k, OrderedDict([("value", n)] + ([("layout", h)] if h else [])))
                                                    for k, (n, h) in conv.out_map.items()))]))])
    desc = OrderedDict([("format", "seqrt"), ("version", 1), ("name", name or _ident(graph_name, "model")),
                        ("batch_first", bool(conv.batch_first)), ("weights", os.path.basename(weights_path)),
                        ("inputs", inputs), ("layers", conv.layers), ("outputs", outputs), ("metadata", meta)])
    d = os.path.dirname(os.path.abspath(json_path))
    os.makedirs(d, exist_ok=True)
    sf.write_safetensors(weights_path, conv.weights, dtype=weights_dtype)
    sf.write_description(json_path, desc)
    return Report(json_path, weights_path, conv.in_map, conv.out_map, len(conv.layers), conv.notes)


# =========================================================================
# ONNX's node tests (libonnx-testdata) and PyTorch-exported models
# =========================================================================

NODE_DIR = "/usr/share/libonnx-testdata/data/node"
NODE_TESTS = [
    # recurrent
    "test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes", "test_lstm_batchwise",
    "test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length", "test_gru_batchwise",
    "test_rnn_seq_length", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias",
    "test_simple_rnn_batchwise",
    # dense (the weight operands are graph inputs in these tests: frozen)
    "test_gemm_default_no_bias", "test_gemm_default_vector_bias", "test_gemm_default_scalar_bias",
    "test_gemm_default_single_elem_vector_bias", "test_gemm_default_zero_bias", "test_gemm_alpha",
    "test_gemm_beta", "test_gemm_transposeB", "test_gemm_transposeA", "test_gemm_all_attributes",
    "test_gemm_default_matrix_bias", "test_matmul_2d", "test_matmul_3d", "test_matmul_4d",
    # softmax
    "test_softmax_axis_0", "test_softmax_axis_1", "test_softmax_axis_2", "test_softmax_default_axis",
    "test_softmax_negative_axis", "test_softmax_example", "test_softmax_large_number",
    "test_logsoftmax_axis_0", "test_logsoftmax_axis_1", "test_logsoftmax_axis_2", "test_logsoftmax_default_axis",
    "test_logsoftmax_negative_axis", "test_logsoftmax_example_1", "test_logsoftmax_large_number",
    # elementwise and the like
    "test_relu", "test_tanh", "test_sigmoid", "test_add", "test_mul", "test_concat_2d_axis_1",
    "test_concat_3d_axis_negative_1", "test_gather_0", "test_identity", "test_dropout_default",
]
# Graph inputs beyond the first that these tests feed as data but seqrt needs as weights
FREEZE_FROM = {"Gemm": 1, "MatMul": 1, "Gather": 0}


def _load_pb(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def _node_test(name, node_dir, exe, tmp):
    import onnx
    d = os.path.join(node_dir, name)
    if not os.path.isfile(os.path.join(d, "model.onnx")):
        return "skipped", "not in %s" % node_dir
    m = onnx.load(os.path.join(d, "model.onnx"))
    ds = os.path.join(d, "test_data_set_0")
    ins = [_load_pb(os.path.join(ds, "input_%d.pb" % i)) for i in range(len(m.graph.input))]
    outs = [_load_pb(os.path.join(ds, "output_%d.pb" % i)) for i in range(len(m.graph.output))]
    node = m.graph.node[0] if len(m.graph.node) == 1 else None
    op = node.op_type if node is not None else None
    consts = {}
    by_name = dict((gi.name, arr) for gi, arr in zip(m.graph.input, ins))
    if op == "Gather":   # the table is data here
        consts[m.graph.input[0].name] = ins[0]
    elif op in FREEZE_FROM:
        for gi, arr in list(zip(m.graph.input, ins))[1:]:
            consts[gi.name] = arr
    elif op in ("LSTM", "GRU", "RNN"):   # W, R, B, P are data here; X, lengths, states stay inputs
        for k in (1, 2, 3, 7):
            if k < len(node.input) and node.input[k] in by_name:
                consts[node.input[k]] = by_name[node.input[k]]
    path = os.path.join(tmp, name + ".json")
    try:
        rep = convert(m, path, constants=consts)
    except ConvertError as e:
        return "rejected", str(e)
    feed = OrderedDict()
    for gi, arr in zip(m.graph.input, ins):
        if gi.name in rep.inputs:
            feed[rep.inputs[gi.name][0]] = rep.to_seqrt(gi.name, arr)
    want = OrderedDict((go.name, arr) for go, arr in zip(m.graph.output, outs))
    values = [rep.outputs[k][0] for k in want]
    try:
        got = sf.run_seqrt(exe, path, feed, values)
    except RuntimeError as e:
        return "FAIL", "seqrt: %s" % e
    worst = 0.0
    for k, w in want.items():
        g = rep.to_onnx(k, got[rep.outputs[k][0]])
        ok, err, ratio = sf.close_enough(g, w.astype(np.float64))
        if not ok:
            return "FAIL", "output %s: max |seqrt - onnx| = %.3g (%.2f x tolerance), shapes %s / %s" % (
                k, err, ratio, list(g.shape), list(w.shape))
        worst = max(worst, err)
    frozen = " (weights %s frozen from the test data)" % ", ".join(sorted(consts)) if consts else ""
    return "ok", "max |seqrt - onnx| = %.2g%s" % (worst, frozen)


def _input_forget_model():
    from onnx import helper, TensorProto
    H, I = 3, 2
    rng = np.random.RandomState(0)
    W = helper.make_tensor("W", TensorProto.FLOAT, [1, 4 * H, I], rng.randn(4 * H * I).tolist())
    R = helper.make_tensor("R", TensorProto.FLOAT, [1, 4 * H, H], rng.randn(4 * H * H).tolist())
    node = helper.make_node("LSTM", ["X", "W", "R"], ["Y", "Y_h"], hidden_size=H, input_forget=1, name="lstm")
    g = helper.make_graph([node], "input_forget", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [4, 1, I])],
                          [helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, 1, H])], initializer=[W, R])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def _torch_cases():
    """Small PyTorch models exported with torch.onnx: what the importer meets in practice."""
    import torch
    import torch.nn as nn

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(30, 8)
            self.rnn = nn.LSTM(8, 16, num_layers=2)
            self.fc = nn.Linear(16, 30)

        def forward(self, tokens):
            y, (h, c) = self.rnn(self.embed(tokens))
            return torch.softmax(self.fc(y), dim=-1), h, c

    class BiGRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(5, 7, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(14, 3)

        def forward(self, x, h0):
            y, h = self.rnn(x, h0)
            return torch.tanh(self.fc(y)), h

    class Relu(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(4, 6, nonlinearity="relu")
            self.fc = nn.Linear(6, 2, bias=False)

        def forward(self, x):
            y, _ = self.rnn(x)
            return torch.log_softmax(self.fc(y), dim=-1)

    torch.manual_seed(0)
    return [
        ("torch_charlm_lstm2", CharLM(), (torch.randint(0, 30, (9, 2)),), ["tokens"], ["probs", "h_n", "c_n"],
         {"tokens": {0: "T", 1: "B"}}),
        ("torch_bigru_batch_first", BiGRU(), (torch.randn(2, 6, 5), torch.randn(2, 2, 7)), ["x", "h0"],
         ["y", "h_n"], {"x": {0: "B", 1: "T"}, "h0": {1: "B"}}),
        ("torch_relu_rnn", Relu(), (torch.randn(5, 3, 4),), ["x"], ["logp"], {"x": {0: "T", 1: "B"}}),
    ]


def _torch_case(case, exe, tmp, save=None):
    import torch
    name, m, args, in_names, out_names, axes = case
    m.eval()
    onnx_path = os.path.join(tmp, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(m, args, onnx_path, input_names=in_names, output_names=out_names,
                          dynamic_axes=axes, opset_version=14)
        want = m(*args)
    want = [t.numpy() for t in (want if isinstance(want, tuple) else (want,))]
    path = os.path.join(tmp, name + ".json")
    try:
        rep = convert(onnx_path, path)
    except ConvertError as e:
        return "FAIL", "conversion: %s" % e
    feed = OrderedDict((rep.inputs[n][0], rep.to_seqrt(n, a.numpy())) for n, a in zip(in_names, args)
                       if n in rep.inputs)
    try:
        got = sf.run_seqrt(exe, path, feed, [rep.outputs[k][0] for k in out_names])
    except RuntimeError as e:
        return "FAIL", "seqrt: %s" % e
    worst = 0.0
    for k, w in zip(out_names, want):
        g = rep.to_onnx(k, got[rep.outputs[k][0]])
        ok, err, ratio = sf.close_enough(g, w)
        if not ok:
            return "FAIL", "output %s: max |seqrt - pytorch| = %.3g (%.2f x tolerance)" % (k, err, ratio)
        worst = max(worst, err)
    if save:   # a case for examples/interop: the seqrt files, inputs, expected outputs
        import shutil
        os.makedirs(save, exist_ok=True)
        shutil.copy(path, os.path.join(save, "model.json"))
        shutil.copy(rep.weights_path, os.path.join(save, os.path.basename(rep.weights_path)))
        for n, a in feed.items():
            np.save(os.path.join(save, "input.%s.npy" % n), a.astype(np.int32 if a.dtype.kind in "iu" else np.float32))
        for k, w in zip(out_names, want):
            v, how = rep.outputs[k]
            if how:
                raise ConvertError("%s: output %s has a layout step (%s): not saved" % (name, k, how))
            np.save(os.path.join(save, "expected." + sf.value_file(v)), w.astype(np.float32))
    return "ok", "max |seqrt - pytorch| = %.2g (%d layers)" % (worst, rep.layers)


def node_tests(exe, node_dir=NODE_DIR, keep=None, torch_cases=True):
    import tempfile
    results = []
    with tempfile.TemporaryDirectory(prefix="onnx2seqrt-") as tmp:
        out = keep or tmp
        os.makedirs(out, exist_ok=True)
        for name in NODE_TESTS:
            results.append((name,) + _node_test(name, node_dir, exe, out))
        try:
            convert(_input_forget_model(), os.path.join(out, "input_forget.json"))
            results.append(("synthetic LSTM input_forget=1", "FAIL", "was not rejected"))
        except ConvertError as e:
            results.append(("synthetic LSTM input_forget=1", "rejected", str(e)))
        if torch_cases:
            try:
                import torch
                torch.set_num_threads(1)
                cases = _torch_cases()
            except ImportError:
                cases = []
            for c in cases:
                results.append((c[0],) + _torch_case(c, exe, out))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="the ONNX model")
    ap.add_argument("out", nargs="?", help="the description to write (.json; weights beside it)")
    ap.add_argument("--const", action="append", default=[], metavar="NAME=FILE.npy",
                    help="make graph input NAME a constant with this value (e.g. a weight fed as an input)")
    ap.add_argument("--name", help="the seqrt model's name")
    ap.add_argument("--weights-dtype", default="F32", choices=["F32", "F16", "BF16"])
    ap.add_argument("--node-tests", action="store_true",
                    help="convert ONNX's node tests (libonnx-testdata) and PyTorch-exported models, run them "
                         "with seqrt and compare with their expected outputs")
    ap.add_argument("--node-dir", default=NODE_DIR)
    ap.add_argument("--seqrt", help="seqrt program (default build/bin/seqrt, $SEQRT_CLI)")
    ap.add_argument("--keep", help="--node-tests: keep the converted models in this directory")
    args = ap.parse_args(argv)
    if args.node_tests:
        exe = sf.find_seqrt(args.seqrt)
        if not exe:
            print("onnx2seqrt: no seqrt program: build it (tools/build.sh) or give --seqrt", file=sys.stderr)
            return 2
        res = node_tests(exe, args.node_dir, args.keep)
        for name, status, msg in res:
            print("%-8s %-44s %s" % (status, name, msg))
        counts = {}
        for _, s, _ in res:
            counts[s] = counts.get(s, 0) + 1
        print("; ".join("%d %s" % (v, k) for k, v in sorted(counts.items())))
        return 1 if counts.get("FAIL") else 0
    if not args.model or not args.out:
        ap.error("give MODEL.onnx and OUT.json (or --node-tests)")
    consts = {}
    for c in args.const:
        k, _, f = c.partition("=")
        if not f:
            ap.error("--const %s: expected NAME=FILE.npy" % c)
        consts[k] = np.load(f)
    try:
        rep = convert(args.model, args.out, constants=consts, name=args.name, weights_dtype=args.weights_dtype)
    except ConvertError as e:
        print("onnx2seqrt: error: %s" % e, file=sys.stderr)
        return 1
    print(rep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

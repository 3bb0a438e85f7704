"""The ONNX graph walk: _Converter (graph inputs, node dispatch to the op
families' mixins, graph outputs) and convert(), which writes the
description and its weights, or hands a graph the walk refuses to the
recording path (recorded.py)."""

import os
from collections import OrderedDict

import numpy as np

from .. import formats as sf
from .dense import _DenseOps
from .elementwise import _ElementwiseOps
from .fold import _FoldOps
from .quantized import INT8_OPS, MS_OPS, _QuantOps
from .recurrent import _RecurrentOps
from .report import Report
from .shapes import _ShapeOps
from .stack import _Gone, _StackOps
from .values import ELEM, FOLD, ConvertError, _C, _V, _ident


class _Converter(_QuantOps, _FoldOps, _RecurrentOps, _StackOps, _ShapeOps, _DenseOps, _ElementwiseOps):
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
        self.version_1_1 = False   # a layer uses a format 1.1 attribute
        self.int8_rule = None      # format 1.2: an int8-dynamic layer (quantized.py)
        self.stacks, self.stack_claims = {}, []   # stacked RNN layers (stack.py)
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
        return sf.unique_name(self.names, base)

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

    def whole(self, r):
        """r, or the whole state when r is the only layer's part of a stack."""
        if isinstance(r, _V) and r.form and r.form[0] == "Part" and self.stacks[r.form[1]]["n"] == 1:
            return _V(r.name, None, r.layer)
        return r

    def value(self, node, i, what, swap_ok=False):
        r = self.whole(self.get(node, i))
        if isinstance(r, _Gone):
            self.err(node, "%s is the output of an inner layer of the stacked layer '%s' (num_layers): only the "
                     "next layer may read it" % (what, r.layer))
        if isinstance(r, _V) and r.form and r.form[0] in ("Slice", "Part"):
            self.err(node, "%s is %s: only a stacked RNN's layers and the Concat of their states may use it" % (
                what, "a slice of an initial state" if r.form[0] == "Slice" else "one layer's state of a stack"))
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
        for k, v in (weights or {}).items():   # int8 codes stay int8 (quantized.py)
            v = np.asarray(v)
            self.weights["%s.%s" % (name, k)] = v if v.dtype == np.int8 else v.astype(np.float32)
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
        self.stack_check()
        outs = []
        for go in self.g.output:
            r = self.whole(self.env.get(go.name))
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
        known = node.domain in ("", "ai.onnx") or (node.domain == "com.microsoft" and op in MS_OPS)
        if not known or (h is None and op not in FOLD):
            self.err(node, "op %s%s has no seqrt equivalent" % (node.domain + "." if node.domain else "", op))
        ins = [self.env.get(i) if i else None for i in node.input]
        self.quant_inputs_check(node, ins)
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


def convert(model, json_path, constants=None, name=None, weights_dtype="F32"):
    """Converts `model` (an onnx.ModelProto or a path) into `json_path` and
    its .safetensors. constants: {graph input name: array} made constants
    (weights that a graph takes as inputs). A graph the node-by-node
    converter refuses (torch.onnx.export's unrolled loops of hand-written
    cells, attention written with MatMul / ReduceSum, ...) goes through the
    recording path when PyTorch is importable (recorded.py: the graph run
    as a PyTorch module by seqrt.export's recording tracer, then verified
    against it). Returns a Report; raises ConvertError naming the node it
    cannot convert (both paths' messages when both fail)."""
    import onnx
    if isinstance(model, str):
        model = onnx.load(model)
    if not json_path.endswith(".json"):
        raise ConvertError("the description's path must end in .json: %s" % json_path)
    try:
        conv = _Converter(model, dict(constants or {}))
        outputs = conv.convert()
    except ConvertError as e:
        if any(n.op_type in INT8_OPS for n in model.graph.node):
            raise   # an int8 graph: the recording path could only compute it in float32
        return _recorded(model, json_path, constants, name, weights_dtype, e)
    return _write(model, json_path, conv, outputs, name, weights_dtype)


def _recorded(model, json_path, constants, name, weights_dtype, direct):
    """The recording path (recorded.py) for a graph the direct converter
    refused: direct's message, then its own, when it cannot take it either."""
    try:
        import torch  # noqa: F401 - the recording path runs the graph with PyTorch
    except ImportError:
        raise ConvertError("%s (the recording path, which takes more graphs, needs PyTorch)" % direct)
    if constants:
        raise ConvertError("%s (the recording path takes no --const inputs)" % direct)
    from .recorded import convert_recorded
    try:
        return convert_recorded(model, json_path, name=name or _ident(model.graph.name or "onnx_model", "model"),
                                weights_dtype=weights_dtype)
    except ConvertError as e:
        raise ConvertError("%s; the recording path cannot take the graph either: %s" % (direct, e))


def _write(model, json_path, conv, outputs, name, weights_dtype):
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
    version = 1.2 if conv.int8_rule else 1.1 if conv.version_1_1 else 1   # 1.0 models stay 1.0
    desc = OrderedDict([("format", "seqrt"), ("version", version)] +
                       ([("int8_rule", conv.int8_rule)] if conv.int8_rule else []) +
                       [("name", name or _ident(graph_name, "model")),
                        ("batch_first", bool(conv.batch_first)), ("weights", os.path.basename(weights_path)),
                        ("inputs", inputs), ("layers", conv.layers), ("outputs", outputs), ("metadata", meta)])
    d = os.path.dirname(os.path.abspath(json_path))
    os.makedirs(d, exist_ok=True)
    if conv.int8_rule:   # format 1.2: int8 codes I8, their scales F32, the rest as asked
        from ..quantize import write_weights
        write_weights(weights_path, OrderedDict(
            (k, ("I8" if v.dtype == np.int8 else "F32" if k.endswith(".scale") else weights_dtype, v))
            for k, v in conv.weights.items()))
    else:
        sf.write_safetensors(weights_path, conv.weights, dtype=weights_dtype)
    sf.write_description(json_path, desc)
    return Report(json_path, weights_path, conv.in_map, conv.out_map, len(conv.layers), conv.notes)

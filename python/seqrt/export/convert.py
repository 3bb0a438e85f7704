"""The walk over the traced graph that writes seqrt's layers, weights and
input declarations (docs/interop.md lists the mapping). Module calls are
in layers.py, function and method calls in functions.py."""

from collections import OrderedDict

import torch
import torch.fx
import torch.nn as nn

from .functions import _FunctionOps
from .layers import _ModuleOps
from .modules import Attention, AttentionPool, LastStep, MeanPool
from . import quantized as qz
from ..formats import unique_name
from .report import ExportError
from ..torch.lstm import LSTM as SqLSTM
from .values import _T, _Causal, _LenMask, _Packed, _Shape


class _Converter(_ModuleOps, _FunctionOps):
    def __init__(self, model, graph, batch_first, input_shapes):
        self.model, self.graph = model, graph
        self.modules = dict(model.named_modules())
        self.env = {}
        self.layers, self.weights = [], OrderedDict()
        self.int8_rule = None               # format 1.2: the engine of the quantized modules
        self.names = set()
        self.calls = {}                     # module name -> times called
        self.placeholders = []              # node names, forward order
        self.uses = OrderedDict()           # input name -> [(kind, info)]
        self.vocab = {}                     # ids input -> smallest vocabulary
        self.user_shapes = input_shapes or {}
        self.batch_first = self._find_batch_first(batch_first)

    # ---- helpers
    def err(self, node, msg):
        where = node.format_node() if hasattr(node, "format_node") else str(node)
        raise ExportError("%s (at %s)" % (msg, where.strip()))

    def _find_batch_first(self, forced):
        seen = {}
        for node in self.graph.nodes:
            if node.op != "call_module":
                continue
            m = self.modules[node.target]
            if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN, SqLSTM, nn.MultiheadAttention, Attention,
                              AttentionPool, LastStep, MeanPool) + qz.QUANT_MODULES[1:]):
                seen.setdefault(bool(m.batch_first), []).append(node.target)
        if len(seen) > 1:
            raise ExportError("seqrt's batch_first is model-wide, but modules disagree: batch_first=True in "
                              "%s, False in %s" % (", ".join(seen[True]), ", ".join(seen[False])))
        if seen:
            bf = next(iter(seen))
            if forced is not None and bool(forced) != bf:
                raise ExportError("batch_first=%s was asked for, but the modules (%s) use %s"
                                  % (forced, ", ".join(next(iter(seen.values()))), bf))
            return bf
        return bool(forced)

    def unique(self, base):
        base = base.replace("-", "_")
        if not base or not (base[0].isalpha() or base[0] == "_"):
            base = "v_" + base
        return unique_name(self.names, base)

    def R(self, a):
        if isinstance(a, torch.fx.Node):
            if a not in self.env:
                self.err(a, "internal: value used before it is defined")
            return self.env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.R(x) for x in a)
        if isinstance(a, dict):
            return {k: self.R(v) for k, v in a.items()}
        return a

    def tensor(self, node, ref, what):
        if not isinstance(ref, _T):
            kind = {_Packed: "a PackedSequence (unpack it with pad_packed_sequence first)",
                    _LenMask: "a padding mask", _Causal: "a causal mask", _Shape: "a size",
                    tuple: "a tuple (index it first)", type(None): "None"}.get(type(ref), repr(ref))
            self.err(node, "%s must be a tensor computed from the model's inputs, got %s" % (what, kind))
        return ref

    def use(self, ref, kind, **info):
        if isinstance(ref, _T) and ref.name in self.uses:
            self.uses[ref.name].append((kind, info))

    def layer(self, op, name, inputs, attrs=None, module=None, prefix=None):
        L = OrderedDict([("op", op), ("name", name), ("inputs", inputs)])
        for k, v in (attrs or {}).items():
            L[k] = v
        self.layers.append(L)
        if module is not None and qz.is_quantized(module):
            # format 1.2 int8-dynamic: torch's own codes and scales (quantized.py)
            qz.check_module(name, module)
            rule = qz.int8_rule(name)
            if self.int8_rule not in (None, rule):
                raise ExportError("%s: modules quantized for two engines" % name)
            self.int8_rule = rule
            L["precision"] = "int8-dynamic"
            for k, v in qz.tensors(name, module).items():
                self.weights[k] = torch.from_numpy(v)
        elif module is not None:
            for k, v in module.state_dict().items():
                self.weights["%s.%s" % (name, k)] = v.detach().cpu()
        return name

    def module_layer_name(self, target):
        n = self.calls.get(target, 0) + 1
        self.calls[target] = n
        base = target if n == 1 else "%s_call%d" % (target, n)
        if base in self.names:
            return self.unique(base.replace(".", "_"))
        self.names.add(base)
        return base

    # ---- the walk
    def convert(self):
        outputs = None
        for node in self.graph.nodes:
            if node.op == "placeholder":
                name = self.unique(node.target)
                self.placeholders.append((node, name))
                self.uses[name] = []
                self.env[node] = _T(name)
            elif node.op == "get_attr":
                self.err(node, "reads parameter '%s' directly: seqrt maps whole modules, so use it through one "
                         "of the supported modules" % node.target)
            elif node.op == "call_module":
                self.env[node] = self.call_module(node)
            elif node.op == "call_function":
                self.env[node] = self.call_function(node)
            elif node.op == "call_method":
                self.env[node] = self.call_method(node)
            elif node.op == "output":
                outputs = self.flatten_outputs(node, self.R(node.args[0]))
        return outputs

    def flatten_outputs(self, node, ref):
        out = []

        def walk(r):
            if isinstance(r, (tuple, list)):
                for x in r:
                    walk(x)
            elif isinstance(r, _T):
                if r.name in self.uses:
                    self.err(node, "forward() returns its input '%s' unchanged: seqrt outputs must be computed "
                             "values" % r.name)
                out.append(r.name)
            elif isinstance(r, _Packed):
                self.err(node, "forward() returns a PackedSequence: return pad_packed_sequence(...)[0]")
            else:
                self.err(node, "forward() returns %r: seqrt outputs must be tensors" % (r,))
        walk(ref)
        if not out:
            self.err(node, "forward() returns no tensor")
        dup = sorted({v for v in out if out.count(v) > 1})
        if dup:
            self.err(node, "forward() returns %s more than once: seqrt lists each output once" % ", ".join(dup))
        return out

    # ---- inputs
    def input_decls(self):
        """name -> (dtype, shape) for every placeholder a layer uses."""
        bf = self.batch_first
        seq2 = ["B", "T"] if bf else ["T", "B"]
        decls = OrderedDict()
        for node, name in self.placeholders:
            uses = self.uses[name]
            if name in self.user_shapes or node.target in self.user_shapes:
                spec = self.user_shapes.get(name, self.user_shapes.get(node.target))
                if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
                    dtype, shape = spec
                else:
                    dtype = "int32" if any(k in ("ids", "lengths") for k, _ in uses) else "float32"
                    shape = spec
                decls[name] = (dtype, list(shape))
                continue
            if not uses:
                continue
            kinds = {k for k, _ in uses}
            if kinds <= {"ids"}:
                decls[name] = ("int32", list(seq2))
            elif kinds <= {"lengths"}:
                decls[name] = ("int32", ["B"])
            elif kinds <= {"state"}:
                decls[name] = ("float32", uses[0][1]["shape"])
            elif kinds <= {"sequence", "features"} and "sequence" in kinds:
                sizes = {i.get("size") for k, i in uses if i.get("size")}
                if len(sizes) != 1:
                    raise ExportError("input '%s': cannot tell its feature size; pass inputs={'%s': "
                                      "[...shape...]}" % (name, name))
                size = sizes.pop()
                decls[name] = ("float32", (["B", "T", size] if bf else ["T", "B", size]))
            else:
                raise ExportError("input '%s' is used as %s: cannot tell its shape; pass inputs={'%s': "
                                  "('float32', ['B', 16])} (dtype and shape, symbols for free sizes)"
                                  % (name, " and ".join(sorted(kinds)), name))
            for k, i in uses:
                if k == "ids":
                    self.vocab[name] = min(self.vocab.get(name, i["vocab"]), i["vocab"])
        return decls

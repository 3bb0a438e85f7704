"""The recording tracer: runs forward() eagerly on concrete example inputs
and writes down every tensor operation (a torch.overrides.TorchFunctionMode)
and every call of a module seqrt maps whole (module hooks), with the user's
file:line. Python loops simply unroll; fold.py finds the repeats again.

This is the exporter's path for models torch.fx cannot trace (loops over
time, hand-written cells, .T, .transpose(), bmm, ...)."""

import os
import traceback

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

from .modules import Attention, AttentionPool, LastStep, MeanPool
from .report import ExportError

# modules recorded as one node (their insides are not recorded)
LEAF_MODULES = (nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, nn.LSTMCell, nn.GRUCell, nn.RNNCell, nn.Linear,
                nn.MultiheadAttention, nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.Softmax, nn.LogSoftmax,
                nn.Dropout, nn.Identity, Attention, AttentionPool, LastStep, MeanPool)
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TORCH = os.path.dirname(os.path.abspath(torch.__file__))
# results that are not values of the model (sizes, dims, Python numbers)
_QUIET = {"size", "dim", "__len__", "shape", "numel", "__iter__", "__format__", "__repr__", "item", "tolist",
          "__bool__", "__index__", "__int__", "__float__", "is_floating_point", "requires_grad", "device",
          "dtype", "__hash__", "__eq__", "is_contiguous", "ndim", "grad_fn", "grad", "names", "is_leaf",
          "data_ptr", "storage_offset", "stride", "get_device", "__get__", "__setstate__", "__reduce_ex__",
          "__deepcopy__"}


class Val:
    """One tensor of the recorded run: an input, a parameter, a constant or
    a node's result."""

    def __init__(self, vid, tensor, kind, name=None, node=None):
        self.id, self.kind, self.name, self.node = vid, kind, name, node
        self.shape = tuple(tensor.shape)
        self.dtype = tensor.dtype
        self.tensor = tensor            # kept alive so that ids stay unique

    def __repr__(self):
        return "v%d%s" % (self.id, list(self.shape))


class Node:
    """One recorded call: kind (the function or method name, or "module"),
    args/kwargs with Val where a tensor was passed, outs (the Vals it made,
    in the order of its result's structure), where (file:line)."""

    def __init__(self, index, kind, args, kwargs, where, module=None, module_name=None):
        self.index, self.kind, self.args, self.kwargs = index, kind, args, kwargs
        self.where, self.module, self.module_name = where, module, module_name
        self.outs, self.out_struct = [], None

    def vals(self):
        """The Vals among the arguments, in order."""
        res = []

        def walk(a):
            if isinstance(a, Val):
                res.append(a)
            elif isinstance(a, (list, tuple)):
                for x in a:
                    walk(x)
            elif isinstance(a, dict):
                for x in a.values():
                    walk(x)
        walk(self.args)
        walk(self.kwargs)
        return res

    def __repr__(self):
        return "%s:%s(%s)" % (self.where, self.module_name or self.kind, self.args)


# A stack of callables that name the place of the code being recorded when
# it is not the user's Python source (seqrt.onnx's graph interpreter: the
# ONNX node it runs); see located_by().
_LOCATORS = []


class located_by:
    """with located_by(fn): user_line() is fn() (a string) while inside."""

    def __init__(self, fn):
        self.fn = fn

    def __enter__(self):
        _LOCATORS.append(self.fn)
        return self

    def __exit__(self, *exc):
        _LOCATORS.pop()
        return False


def user_line():
    """file:line of the innermost frame of the user's code (not torch's, not
    seqrt's), or what located_by's callable says."""
    if _LOCATORS:
        return _LOCATORS[-1]()
    for fr in reversed(traceback.extract_stack()):
        f = os.path.abspath(fr.filename)
        if f.startswith(_TORCH) or f.startswith(_HERE) or "<frozen" in fr.filename:
            continue
        return "%s:%d" % (os.path.basename(f), fr.lineno)
    return "forward"


def _func_name(func):
    owner = getattr(func, "__self__", None)
    if type(owner).__name__ == "getset_descriptor":
        return owner.__name__          # x.T, x.shape, x.data
    n = getattr(func, "__name__", None) or str(func)
    return n


class Recording:
    """The recorded run: inputs (Vals of forward()'s tensor arguments, with
    the argument structure), nodes in order, and the returned structure."""

    def __init__(self, model):
        self.model = model
        self.nodes, self.vals = [], {}
        self.by_tensor = {}
        self.params = {}
        for n, p in model.named_parameters():
            self.params[id(p)] = n
        for n, b in model.named_buffers():
            self.params[id(b)] = n
        self.modules = {id(m): n for n, m in model.named_modules()}
        self.inputs, self.arg_struct, self.out_struct = [], None, None

    def val(self, t, kind="const", name=None, node=None):
        k = id(t)
        if k in self.by_tensor and self.by_tensor[k].tensor is t:
            return self.by_tensor[k]
        if kind == "const" and k in self.params:
            kind, name = "param", self.params[k]
        v = Val(len(self.vals), t, kind, name, node)
        self.vals[v.id] = v
        self.by_tensor[k] = v
        return v

    def wrap(self, a):
        if torch.is_tensor(a):
            return self.val(a)
        if isinstance(a, (list, tuple)):
            return type(a)(self.wrap(x) for x in a) if not hasattr(a, "_fields") else tuple(self.wrap(x) for x in a)
        if isinstance(a, dict):
            return {k: self.wrap(x) for k, x in a.items()}
        return a

    def add(self, kind, args, kwargs, result, module=None):
        node = Node(len(self.nodes), kind, self.wrap(args), self.wrap(kwargs or {}), user_line(), module,
                    self.modules.get(id(module)) if module is not None else None)

        def outs(r):
            if torch.is_tensor(r):
                v = self.val(r, "node", node=node)
                if v.node is not node:        # an op that hands back its input (x.contiguous())
                    v = Val(len(self.vals), r, "node", None, node)
                    self.vals[v.id] = v
                    self.by_tensor[id(r)] = v
                node.outs.append(v)
                return v
            if isinstance(r, (list, tuple)):
                return tuple(outs(x) for x in r)
            return r
        node.out_struct = outs(result)
        if node.outs:
            self.nodes.append(node)
        return node


class _Mode(TorchFunctionMode):
    def __init__(self, rec):
        super().__init__()
        self.rec, self.depth = rec, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        r = func(*args, **kwargs)
        name = _func_name(func)
        if self.depth == 0 and name not in _QUIET and (torch.is_tensor(r) or (
                isinstance(r, (tuple, list)) and r and all(torch.is_tensor(x) for x in r))):
            if name in ("rand", "randn", "rand_like", "randn_like", "randint", "normal", "bernoulli",
                        "multinomial"):
                raise ExportError("%s: torch.%s inside forward has no seqrt form: pass the initial state "
                                  "as an input (or create it with torch.zeros)" % (user_line(), name))
            self.rec.add(name, args, kwargs, r)
        return r


def record(model, args):
    """Runs model(*args) (no grad) and returns its Recording. ExportError
    (naming the user's line) when forward() fails on the example inputs."""
    rec = Recording(model)
    args = tuple(args)

    def inputs(a, path):
        if torch.is_tensor(a):
            v = rec.val(a, "input", name=path)
            rec.inputs.append(v)
            return v
        if isinstance(a, (list, tuple)):
            return tuple(inputs(x, "%s_%d" % (path, i)) for i, x in enumerate(a))
        return a
    names = _arg_names(model, len(args))
    rec.arg_struct = tuple(inputs(a, n) for a, n in zip(args, names))
    mode = _Mode(rec)
    leaf_stack = []

    def pre(m, a):
        if isinstance(m, LEAF_MODULES) or getattr(m, "seqrt_leaf", False):
            leaf_stack.append(m)
            mode.depth += 1

    def post(m, a, r):
        if leaf_stack and leaf_stack[-1] is m:
            leaf_stack.pop()
            mode.depth -= 1
            if mode.depth == 0:
                rec.add("module", a, {}, r, module=m)

    orig_getitem = torch.Tensor.__getitem__

    def getitem(t, idx):
        # x[t] with a plain integer skips __torch_function__ in torch 1.13: record every index here
        outer = mode.depth
        mode.depth += 1
        try:
            r = orig_getitem(t, idx)
        finally:
            mode.depth -= 1
        if outer == 0 and torch.is_tensor(r):
            rec.add("__getitem__", (t, idx), {}, r)
        return r

    h1 = nn.modules.module.register_module_forward_pre_hook(pre)
    h2 = nn.modules.module.register_module_forward_hook(post)
    torch.Tensor.__getitem__ = getitem
    try:
        with torch.no_grad(), mode:
            out = model(*args)
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - the user's code can raise anything
        tb = traceback.extract_tb(e.__traceback__)
        where = "forward"
        for fr in reversed(tb):
            f = os.path.abspath(fr.filename)
            if not (f.startswith(_TORCH) or f.startswith(_HERE)):
                where = "%s:%d" % (os.path.basename(f), fr.lineno)
                break
        raise ExportError("%s: forward() fails on the example inputs: %s: %s" % (where, type(e).__name__, e))
    finally:
        torch.Tensor.__getitem__ = orig_getitem
        h1.remove()
        h2.remove()
    rec.out_struct = rec.wrap(out)
    return rec


def _arg_names(model, n):
    import inspect
    try:
        ps = [p.name for p in inspect.signature(model.forward).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        ps = []
    return [ps[i] if i < len(ps) else "input%d" % i for i in range(n)]

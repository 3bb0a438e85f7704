"""The converter's handling of function and method calls: pack/pad of
sequences, the masks, +, *, activations, softmax, dropout, one_hot,
torch.cat, indexing one position, and the identity-like tensor methods."""

import operator
from collections import OrderedDict

import torch
import torch.nn.functional as F

from .modules import causal_mask, lengths_mask
from .trace import _ORIG_PACK, _ORIG_PAD
from .values import (_ACT_FUNCS, _ACT_METHODS, _CAT_FUNCS, _IDENTITY_METHODS, _T, _Causal, _LenMask, _Packed,
                     _Shape, _Unsupported, _fn_name)


class _FunctionOps:
    """Mixin of _Converter: call_function, getitem and call_method."""

    def call_function(self, node):
        f = node.target
        args = self.R(node.args)
        kw = self.R(node.kwargs)
        if f is _ORIG_PACK:
            x = self.tensor(node, self.arg(node, args, kw, 0, "input"), "pack_padded_sequence's input")
            lengths = self.tensor(node, self.arg(node, args, kw, 1, "lengths"), "lengths")
            bf = self.arg(node, args, kw, 2, "batch_first", False)
            if bool(bf) != self.batch_first:
                self.err(node, "pack_padded_sequence(batch_first=%s) in a model whose layout is batch_first=%s"
                         % (bf, self.batch_first))
            return _Packed(x, lengths)
        if f is _ORIG_PAD:
            p = self.arg(node, args, kw, 0, "sequence")
            if not isinstance(p, _Packed):
                self.err(node, "pad_packed_sequence of something that is not a recurrent layer's packed output")
            bf = self.arg(node, args, kw, 1, "batch_first", False)
            if bool(bf) != self.batch_first:
                self.err(node, "pad_packed_sequence(batch_first=%s) in a model whose layout is batch_first=%s"
                         % (bf, self.batch_first))
            pv = self.arg(node, args, kw, 2, "padding_value", 0.0)
            if pv != 0.0:
                self.err(node, "pad_packed_sequence(padding_value=%r): seqrt pads with 0" % (pv,))
            return (p.value, p.lengths)
        if f is lengths_mask:
            lengths = self.tensor(node, args[0], "lengths")
            bf = args[2] if len(args) > 2 else kw.get("batch_first", False)
            if bool(bf) != self.batch_first:
                self.err(node, "lengths_mask(batch_first=%s) in a model whose layout is batch_first=%s"
                         % (bf, self.batch_first))
            return _LenMask(lengths)
        if f is causal_mask:
            return _Causal()
        if f is operator.getitem:
            return self.getitem(node, args[0], args[1])
        if f is getattr:
            if args[1] == "shape":
                return _Shape()
            self.err(node, "attribute '%s' of a value is not supported" % args[1])
        if f in (operator.add, torch.add, operator.mul, torch.mul):
            op = "add" if f in (operator.add, torch.add) else "mul"
            if len(args) != 2 or kw.get("alpha", 1) != 1:
                self.err(node, "%s takes exactly two tensors" % op)
            a = self.tensor(node, args[0], "%s's first operand (a number is not supported)" % op)
            b = self.tensor(node, args[1], "%s's second operand (a number is not supported)" % op)
            return _T(self.layer(op, self.unique(node.name), OrderedDict([("a", a.name), ("b", b.name)])))
        if f in _ACT_FUNCS:
            if f is F.gelu and kw.get("approximate", "none") != "none":
                self.err(node, "F.gelu(approximate='tanh'): seqrt's gelu is the erf form")
            x = self.tensor(node, args[0], "the activation's input")
            return _T(self.layer("activation", self.unique(node.name), {"x": x.name},
                                 {"function": _ACT_FUNCS[f]}))
        if f in (F.softmax, torch.softmax, F.log_softmax, torch.log_softmax):
            op = "softmax" if f in (F.softmax, torch.softmax) else "log_softmax"
            x = self.tensor(node, args[0], "the softmax's input")
            dim = self.arg(node, args, kw, 1, "dim")
            if dim is None:
                self.err(node, "%s without dim has an implicit axis: give dim" % op)
            return _T(self.layer(op, self.unique(node.name), {"x": x.name}, {"axis": dim}))
        if f in (F.dropout,):
            x = self.tensor(node, args[0], "the dropout's input")
            p = self.arg(node, args, kw, 1, "p", 0.5)
            return _T(self.layer("dropout", self.unique(node.name), {"x": x.name}, {"p": p}))
        if f is F.one_hot:
            x = self.tensor(node, args[0], "one_hot's input")
            depth = self.arg(node, args, kw, 1, "num_classes", -1)
            if not isinstance(depth, int) or depth < 1:
                self.err(node, "F.one_hot needs num_classes (the depth is fixed in seqrt)")
            self.use(x, "ids", vocab=depth)
            return _T(self.layer("one_hot", self.unique(node.name), {"x": x.name}, {"depth": depth}))
        if f in _CAT_FUNCS:
            xs = self.arg(node, args, kw, 0, "tensors")
            dim = self.arg(node, args, kw, 1, "dim", 0)
            names = [self.tensor(node, t, "torch.cat's input").name for t in xs]
            return _T(self.layer("concat", self.unique(node.name), {"x": names}, {"axis": dim}))
        self.err(node, "function %s has no seqrt op" % _fn_name(f))

    def getitem(self, node, base, idx):
        if isinstance(base, (tuple, list)):
            r = base[idx]
            if isinstance(r, _Unsupported):
                self.err(node, "%s cannot be exported" % r.what)
            return r
        if isinstance(base, _Shape):
            return _Shape()
        t = self.tensor(node, base, "the indexed value")
        idx = idx if isinstance(idx, tuple) else (idx,)
        axis, index = None, None
        for i, e in enumerate(idx):
            if isinstance(e, slice) and e == slice(None):
                continue
            if isinstance(e, int) and not isinstance(e, bool) and axis is None:
                axis, index = i, e
                continue
            axis = "bad"
            break
        if axis is None or axis == "bad":
            self.err(node, "indexing with %r: seqrt's select takes one integer index on one axis "
                     "(e.g. h_n[-1], y[:, -1])" % (idx,))
        return _T(self.layer("select", self.unique(node.name), {"x": t.name},
                             OrderedDict([("axis", axis), ("index", index)])))

    def call_method(self, node):
        args = self.R(node.args)
        kw = self.R(node.kwargs)
        meth = node.target
        if meth == "size":
            return _Shape()
        if meth in _IDENTITY_METHODS:
            t = self.tensor(node, args[0], "the value")
            if meth == "to" and any(isinstance(a, torch.dtype) and a not in (torch.float32, torch.float64)
                                    for a in list(args[1:]) + list(kw.values())) and not t.ids:
                self.err(node, "a conversion to another type (%s) has no seqrt op" % (args[1:],))
            return t
        if meth in _ACT_METHODS:
            x = self.tensor(node, args[0], "the activation's input")
            return _T(self.layer("activation", self.unique(node.name), {"x": x.name},
                                 {"function": _ACT_METHODS[meth]}))
        if meth in ("softmax", "log_softmax"):
            x = self.tensor(node, args[0], "the softmax's input")
            dim = args[1] if len(args) > 1 else kw.get("dim")
            if dim is None:
                self.err(node, "%s without dim has an implicit axis: give dim" % meth)
            return _T(self.layer(meth, self.unique(node.name), {"x": x.name}, {"axis": dim}))
        self.err(node, "tensor method .%s() has no seqrt op" % meth)

"""The recorded path's handlers of single operations (outside the cells):
modules (nn.Linear, nn.Embedding, nn.LSTM/GRU/RNN, activations, softmax,
dropout and the spec's attention modules), elementwise functions, the
tensor plumbing that only changes a View (.T, transpose, permute,
squeeze, unsqueeze, view/reshape, flip, type casts), select by an integer,
torch.cat, F.one_hot, torch.zeros, and a Python number with a tensor
(+, -, /, negation: activation "affine"). The attention patterns written with
bmm/sum/softmax are in attn.py."""

from collections import OrderedDict

import torch
import torch.nn as nn

from .layout import View, Zero
from .modules import Attention, AttentionPool, LastStep, MeanPool
from .report import ExportError
from ..torch.lstm import LSTM as SqLSTM

KIND = {"__add__": "add", "__radd__": "add", "add_": "add", "__iadd__": "add", "__mul__": "mul",
        "__rmul__": "mul", "mul_": "mul", "__imul__": "mul", "__matmul__": "matmul", "mm": "matmul",
        "__getitem__": "getitem", "swapaxes": "transpose", "swapdims": "transpose", "concat": "cat",
        "__rsub__": "rsub", "__sub__": "sub", "__truediv__": "div", "__div__": "div", "divide": "div",
        "__neg__": "neg", "negative": "neg", "subtract": "sub"}
IDENTITY = ("contiguous", "clone", "detach", "float", "to", "type_as", "long", "int", "double", "cpu", "cuda",
            "requires_grad_", "dropout", "alpha_dropout", "feature_alpha_dropout")
ACTS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "gelu": "gelu"}
_ACT_MODULES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "gelu"}


def kind_of(node):
    return KIND.get(node.kind, node.kind)


class _Ops:
    """Mixin of Lower: convert(node) -> the node's result (View, Zero,
    tuple)."""

    def convert(self, node):
        k = kind_of(node)
        if k == "module":
            return self.module(node)
        h = getattr(self, "op_" + k, None)
        if h is None:
            h = self.attn_handler(node, k)
        if h is None:
            self.fail(node, "torch.%s has no seqrt form%s" % (node.kind, self.hint(k)))
        return h(node, *node.args, **node.kwargs)

    def hint(self, k):
        return {"sum": " (a sum over a dim maps onto seqrt's attention ops only)",
                "bmm": " (bmm maps onto seqrt's attention ops only)"}.get(k, "")

    # ---- values
    def tensor(self, node, r, what="the operand"):
        if isinstance(r, View):
            return self.materialize(node, r)
        if type(r).__name__ == "AttW":
            return self.attn_weights(node, r)
        if self.is_attn(r):
            self.fail(node, "%s is raw attention scores or a product waiting for its sum: seqrt's attention "
                      "ops give only the weights (after the softmax over time) and the context" % what)
        if isinstance(r, Zero):
            self.fail(node, "%s is a tensor of zeros made in forward(): seqrt has no constant tensors "
                      "(only as an initial state)" % what)
        self.fail(node, "%s must be a tensor computed from the model's inputs, got %s" % (what, type(r).__name__))

    def R(self, node, a):
        if isinstance(a, (tuple, list)):
            return tuple(self.R(node, x) for x in a)
        return self.ref(node, a) if hasattr(a, "id") else a

    def emit(self, op, base, inputs, attrs=None, module=None, weights=None):
        name = self.unique(base)
        L = OrderedDict([("op", op), ("name", name), ("inputs", inputs)])
        L.update(attrs or {})
        self.layers.append(L)
        if module is not None:
            for k, v in module.state_dict().items():
                self.weights["%s.%s" % (name, k)] = v.detach().to(torch.float64).cpu().numpy()
        for k, v in (weights or {}).items():
            self.weights["%s.%s" % (name, k)] = v
        return name

    def same(self, v, name, ax=None, sq=None):
        return View(name, v.sq if sq is None else sq, v.ax if ax is None else ax, step=v.step, rev=v.rev)

    def axis(self, node, v, d):
        """seqrt's axis index of torch axis d of View v (an axis of one label)."""
        d = d % len(v.ax)
        a = v.ax[d]
        if len(a) != 1:
            self.fail(node, "an operation over a merged or size-1 axis has no seqrt form")
        sq = [self.labels.get(l) for l in v.sq]
        lab = self.labels.get(a[0]).rstrip("~")
        if lab not in sq:
            self.fail(node, "an operation over an axis seqrt's value does not have (%s)" % lab)
        return sq.index(lab), self.labels.get(a[0])

    # ---- modules
    def module(self, node):
        m = node.module
        args = [self.R(node, a) for a in node.args]
        name = node.module_name or "module"
        if isinstance(m, (nn.Identity, nn.Dropout)):
            return args[0]
        if isinstance(m, nn.Linear) and type(args[0]).__name__ == "Additive":
            return self.additive_linear(node, m, args[0])
        if isinstance(m, nn.Linear):
            x = self.tensor(node, args[0], "the linear layer's input")
            self.need_feature(node, x)
            attrs = OrderedDict([("in_features", m.in_features), ("out_features", m.out_features)])
            if m.bias is None:
                attrs["bias"] = False
            return self.same(x, self.emit("linear", name, {"x": x.name}, attrs, m))
        if isinstance(m, nn.Embedding):
            x = self.tensor(node, args[0], "the embedding's input")
            self.ids[x.name] = min(self.ids.get(x.name, m.num_embeddings), m.num_embeddings)
            return View(self.emit("embedding", name, {"x": x.name}, OrderedDict(
                [("num_embeddings", m.num_embeddings), ("embedding_dim", m.embedding_dim)]), m),
                x.sq + ["F"], x.ax + [("F",)], step=x.step, rev=x.rev)
        if type(m) in _ACT_MODULES:
            x = self.tensor(node, args[0], "the activation's input")
            return self.same(x, self.emit("activation", name, {"x": x.name}, {"function": _ACT_MODULES[type(m)]}))
        if isinstance(m, (nn.Softmax, nn.LogSoftmax)):
            op = "softmax" if isinstance(m, nn.Softmax) else "log_softmax"
            return self.softmax_of(node, args[0], m.dim, op)
        if isinstance(m, (nn.LSTM, nn.GRU, nn.RNN, SqLSTM)):
            return self.recurrent_module(node, m, args)
        if isinstance(m, (LastStep, MeanPool, AttentionPool, Attention)):
            return self.spec_module(node, m, args)
        self.fail(node, "module %s (%s) has no seqrt form here" % (name, type(m).__name__))

    def need_feature(self, node, x):
        last = x.ax[-1]
        if len(last) != 1:
            self.fail(node, "a linear layer over a merged axis has no seqrt form")
        self.labels.unify(last[0], "F", node.where)
        if self.labels.get(x.sq[-1]) != "F":
            self.fail(node, "a linear layer over an axis that is not seqrt's last has no seqrt form")

    def seq_input(self, node, x, bf):
        """Binds the torch axes of sequence x as [T, B, F] (or [B, T, F])."""
        if len(x.ax) != 3:
            self.fail(node, "a recurrent layer's input must be a [T, B, F] or [B, T, F] sequence")
        want = ("B", "T", "F") if bf else ("T", "B", "F")
        for a, w in zip(x.ax, want):
            if len(a) != 1:
                self.fail(node, "a recurrent layer's input has a merged axis")
            self.labels.unify(a[0], w, node.where)
        self.set_bf(node, x)

    def set_bf(self, node, x):
        sq = [self.labels.get(l) for l in x.sq]
        if "T" not in sq or "B" not in sq:
            return
        bf = sq.index("B") < sq.index("T")
        if self.bf is None:
            self.bf = bf
        elif self.bf != bf:
            self.fail(node, "this sequence is %s in seqrt, but seqrt's layout is model-wide and the model's "
                      "first sequence is %s" % ("[B, T, F]" if bf else "[T, B, F]",
                                               "[B, T, F]" if self.bf else "[T, B, F]"))

    def state_input(self, node, r, H, L):
        """The name of an initial state value for a recurrent layer, None for zeros."""
        if r is None or isinstance(r, Zero):
            return None
        v = self.tensor(node, r, "an initial state")
        if len(v.ax) == 2:
            if v.name in self.input_views and len(self.input_views[v.name].sq) == 2:
                self.input_views[v.name].sq.insert(0, "L")    # PyTorch's [B, H] state is seqrt's [1, B, H]
            elif len(v.sq) != 3:
                self.fail(node, "an initial state must be [L*D, B, H] (or [B, H] for one layer)")
            want = ("B", "F")
        elif len(v.ax) == 3:
            want = ("L", "B", "F")
        else:
            self.fail(node, "an initial state must be [L*D, B, H] (or [B, H] for one layer)")
        for a, w in zip(v.ax, want):
            self.labels.unify(a[0], w, node.where)
        return v.name

    def recurrent_module(self, node, m, args):
        kind = {nn.LSTM: "lstm", nn.GRU: "gru", nn.RNN: "rnn", SqLSTM: "lstm"}[type(m)]
        x = self.tensor(node, args[0], "the %s's input" % kind.upper())
        if x.step:
            self.fail(node, "an nn.%s inside a loop over time" % type(m).__name__)
        self.seq_input(node, x, m.batch_first)
        D = 2 if m.bidirectional else 1
        ins = OrderedDict([("x", x.name)])
        hx = args[1] if len(args) > 1 else None
        if kind == "lstm" and hx is not None:
            if not isinstance(hx, tuple) or len(hx) != 2:
                self.fail(node, "an LSTM's initial state must be a tuple (h0, c0)")
            for slot, r in zip(("h0", "c0"), hx):
                n = self.state_input(node, r, m.hidden_size, m.num_layers * D)
                if n:
                    ins[slot] = n
        elif hx is not None:
            n = self.state_input(node, hx, m.hidden_size, m.num_layers * D)
            if n:
                ins["h0"] = n
        attrs = OrderedDict([("input_size", m.input_size), ("hidden_size", m.hidden_size)])
        if m.num_layers != 1:
            attrs["num_layers"] = m.num_layers
        if m.bidirectional:
            attrs["bidirectional"] = True
        if getattr(m, "proj_size", 0):
            attrs["proj_size"] = m.proj_size
        if not m.bias:
            attrs["bias"] = False
        if kind == "rnn" and m.nonlinearity != "tanh":
            attrs["nonlinearity"] = m.nonlinearity
        for k in ("coupled", "peephole"):           # seqrt.torch.LSTM
            if getattr(m, k, False):
                attrs[k] = True
        name = self.emit(kind, node.module_name, ins, attrs, m)
        y = View(name, x.sq, x.ax)
        st = [("L",), ("B",), ("F",)]
        h = View(name + ":h_n", ["L", "B", "F"], st)
        if kind == "lstm":
            return (y, (h, View(name + ":c_n", ["L", "B", "F"], st)))
        return (y, h)

    def spec_module(self, node, m, args):
        x = self.tensor(node, args[0], "the module's input")
        if isinstance(m, Attention):
            return self.fail(node, "seqrt.export.Attention in the recorded path: export it without "
                             "example inputs (torch.fx traces it)")
        self.seq_input(node, x, m.batch_first)
        ins = OrderedDict([("x", x.name)])
        if len(args) > 1 and args[1] is not None:
            ins["lengths"] = self.tensor(node, args[1], "lengths").name
        b = [a for a in x.ax if self.labels.get(a[0]) == "B"]
        out_ax = [b[0], (x.ax[-1][0],)]
        out_sq = ["B", "F"]
        if isinstance(m, AttentionPool):
            name = self.emit("attention_pool", node.module_name, ins, OrderedDict(
                [("hidden", m.hidden), ("activation", m.activation)]), m)
            return (View(name, out_sq, out_ax), View(name + ":weights", ["B", "T"], [b[0], ("T",)]))
        op = "last_step" if isinstance(m, LastStep) else "mean_pool"
        return View(self.emit(op, node.module_name, ins), out_sq, out_ax)

    # ---- elementwise
    def act(self, node, x, fn):
        x = self.tensor(node, self.R(node, x), "the activation's input")
        return self.same(x, self.emit("activation", node.kind, {"x": x.name}, {"function": fn}))

    def op_sigmoid(self, node, x, *a, **k):
        return self.act(node, x, "sigmoid")

    def op_tanh(self, node, x, *a, **k):
        r = self.R(node, x)
        if type(r).__name__ == "Additive" and r.stage == "linear":
            return r.next("tanh")
        return self.act(node, x, "tanh")

    def op_relu(self, node, x, *a, **k):
        return self.act(node, x, "relu")

    def op_gelu(self, node, x, approximate="none"):
        if approximate != "none":
            self.fail(node, "gelu(approximate='tanh'): seqrt's gelu is the erf form")
        return self.act(node, x, "gelu")

    def binary(self, node, op, a, b):
        for p, q in ((a, b), (b, a)):
            if op == "mul" and getattr(p, "kind", None) == "param" and hasattr(q, "id") and \
                    type(self.R(node, q)).__name__ == "Additive":
                return self.additive_v(node, p, self.R(node, q))
        ra, rb = self.R(node, a), self.R(node, b)
        for p, c in ((ra, b), (rb, a)):
            if op == "mul" and type(p).__name__ == "Score" and not hasattr(c, "id"):
                return self.scale_scores(node, p, c, False)
        if isinstance(ra, Zero) and op == "add":
            return rb
        if isinstance(rb, Zero) and op == "add":
            return ra
        if op == "mul" and hasattr(a, "id") and hasattr(b, "id") and (
                self.is_attn(ra) or self.is_attn(rb) or a.shape != b.shape):
            p = self.attn_mul(node, ra, rb)
            if p is not None:
                return p
        if hasattr(a, "id") != hasattr(b, "id"):
            x, c = (a, b) if hasattr(a, "id") else (b, a)
            if self.number(c):
                return self.scalar(node, x, 1.0, c) if op == "add" else self.scalar(node, x, c, 0.0)
        if not hasattr(a, "id") or not hasattr(b, "id"):
            self.fail(node, "%s with a Python number has no seqrt form in format 1.0 (only tensor %s tensor)"
                      % (op, "+" if op == "add" else "*"))
        va = self.squeeze_layers(node, self.tensor(node, ra))
        vb = self.squeeze_layers(node, self.tensor(node, rb))
        sa = [self.labels.get(l) for l in va.sq]
        sb = [self.labels.get(l) for l in vb.sq]
        if sa != sb or [self.labels.get(l) for a in va.ax for l in a] != \
                [self.labels.get(l) for a in vb.ax for l in a]:
            self.fail(node, "%s of tensors of different shapes: seqrt's %s is elementwise, without "
                      "broadcasting" % (op, op))
        return self.same(va, self.emit(op, node.kind.strip("_"), OrderedDict([("a", va.name), ("b", vb.name)])))

    def op_add(self, node, a, b, alpha=1):
        if alpha != 1:
            self.fail(node, "add(alpha=...) has no seqrt form")
        return self.binary(node, "add", a, b)

    def op_mul(self, node, a, b):
        return self.binary(node, "mul", a, b)

    # ---- a Python number and a tensor: activation "affine" (y = alpha * x + beta, format 1.1)
    def number(self, c):
        return isinstance(c, (int, float)) and not isinstance(c, bool)

    def scalar(self, node, x, A, B):
        """A * x + B as one activation "affine"; x already an affine of ours
        folds into it (the first layer is pruned when nothing else reads it)."""
        r = self.R(node, x) if hasattr(x, "id") else x
        if self.is_attn(r):
            self.fail(node, "a Python number on %s: seqrt's attention ops give only the weights and the "
                      "context" % type(r).__name__)
        v = self.tensor(node, r)
        L = next((L for L in self.layers if L["name"] == v.name), None)
        if L is not None and L["op"] == "activation" and L["function"] == "affine":
            A, B = A * L["alpha"], A * L["beta"] + B
            v = View(L["inputs"]["x"], v.sq, v.ax, step=v.step, rev=v.rev)
        if A == 1 and B == 0:
            return v
        return self.same(v, self.emit("activation", "affine", {"x": v.name}, OrderedDict(
            [("function", "affine"), ("alpha", float(A)), ("beta", float(B))])))

    def op_div(self, node, a, b, rounding_mode=None):
        ra = self.R(node, a)
        if type(ra).__name__ == "Score" and not hasattr(b, "id") and rounding_mode is None:
            return self.scale_scores(node, ra, b, True)
        if hasattr(a, "id") and self.number(b) and b != 0 and rounding_mode is None:
            return self.scalar(node, a, 1.0 / b, 0.0)
        self.fail(node, "torch.div has no seqrt form here (only a tensor divided by a Python number, and "
                  "attention's dot scores / sqrt(features))")

    def op_neg(self, node, x):
        return self.scalar(node, x, -1.0, 0.0)

    def op_sub(self, node, x, other, alpha=1):
        if hasattr(x, "id") and self.number(other) and self.number(alpha):
            return self.scalar(node, x, 1.0, -other * alpha)
        if self.number(x) and hasattr(other, "id") and self.number(alpha):
            return self.scalar(node, other, -float(alpha), x)
        self.fail(node, "torch.sub of two tensors has no seqrt form outside a recurrent cell (only a tensor and "
                  "a Python number)")

    def op_rsub(self, node, x, other, alpha=1):
        if self.number(other) and self.number(alpha):
            return self.scalar(node, x, -float(alpha), other)     # other - alpha * x
        self.fail(node, "%r - x outside a recurrent cell has no seqrt form" % (other,))

    def softmax_of(self, node, r, dim, op):
        if dim is None:
            self.fail(node, "%s without dim has an implicit axis: give dim" % op)
        s = self.attn_softmax(node, r, dim, op)
        if s is not None:
            return s
        x = self.tensor(node, r, "the softmax's input")
        ax, _ = self.axis(node, x, dim)
        return self.same(x, self.emit(op, node.kind if node.module is None else node.module_name, {"x": x.name},
                                      {"axis": ax}))

    def op_softmax(self, node, x, dim=None, *a, **k):
        return self.softmax_of(node, self.R(node, x), dim, "softmax")

    def op_log_softmax(self, node, x, dim=None, *a, **k):
        return self.softmax_of(node, self.R(node, x), dim, "log_softmax")

    # ---- plumbing: only the View changes
    def view_of(self, node, x):
        r = self.R(node, x)
        if isinstance(r, Zero):
            return r
        if not isinstance(r, View) and not self.is_attn(r):
            self.fail(node, "torch.%s of %s" % (node.kind, type(r).__name__))
        return r

    def relabel(self, r, ax):
        return r.with_ax(ax)

    def op_transpose(self, node, x, d0, d1):
        r = self.view_of(node, x)
        if isinstance(r, Zero):
            return r
        ax = list(r.ax)
        ax[d0], ax[d1] = ax[d1], ax[d0]
        return self.relabel(r, ax)

    def op_t(self, node, x):
        return self.op_transpose(node, x, 0, 1) if len(x.shape) == 2 else self.view_of(node, x)

    op_T = op_t

    def op_permute(self, node, x, *dims):
        r = self.view_of(node, x)
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            dims = dims[0]
        return self.relabel(r, [r.ax[d] for d in dims])

    def op_squeeze(self, node, x, dim=None):
        r = self.view_of(node, x)
        if isinstance(r, Zero):
            return Zero(node.outs[0].shape)
        n = len(x.shape)
        drop = [d for d in range(n) if x.shape[d] == 1] if dim is None else [dim % n] if x.shape[dim] == 1 else []
        return self.relabel(r, [a for d, a in enumerate(r.ax) if d not in drop])

    def op_unsqueeze(self, node, x, dim):
        r = self.view_of(node, x)
        if isinstance(r, Zero):
            return Zero(node.outs[0].shape)
        ax = list(r.ax)
        ax.insert(dim % (len(ax) + 1), ())
        return self.relabel(r, ax)

    def op_view(self, node, x, *shape):
        r = self.view_of(node, x)
        if isinstance(r, Zero):
            return Zero(node.outs[0].shape)
        old, new = list(x.shape), list(node.outs[0].shape)
        ax, i, j = [], 0, 0
        while j < len(new):
            n = new[j]
            j += 1
            if n == 1 and (i >= len(old) or old[i] != 1):
                ax.append(())
                continue
            group, p = [], 1
            while i < len(old) and p < n:
                group.append(i)
                p *= old[i]
                i += 1
            if p != n:
                parts = self.unmerge(r, group, new[j - 1:])
                if parts is None:
                    self.fail(node, "reshape from %s to %s splits an axis: seqrt has no reshape op" % (old, new))
                ax.extend(parts)
                j += len(parts) - 1
                continue
            ax.append(tuple(l for g in group for l in r.ax[g]))
            if len(ax[-1]) > 1:
                self.merged[ax[-1]] = tuple(old[g] for g in group)
        while i < len(old):
            if old[i] != 1:
                self.fail(node, "reshape from %s to %s" % (old, new))
            i += 1
        return self.relabel(r, ax)

    def unmerge(self, r, group, rest):
        """The axes of a reshape that splits one merged axis back into exactly
        the axes it was merged from (same sizes, same order): the identity on
        seqrt's value. None for any other split."""
        group = [g for g in group if r.ax[g]]
        if len(group) != 1:
            return None
        a = r.ax[group[0]]
        sizes = self.merged.get(a)
        if sizes is None or list(rest[:len(sizes)]) != list(sizes):
            return None
        return [(l,) for l in a]

    op_reshape = op_view

    def op_flatten(self, node, x, start_dim=0, end_dim=-1):
        return self.op_view(node, x)

    def op_flip(self, node, x, dims):
        r = self.view_of(node, x)
        dims = [dims] if isinstance(dims, int) else dims
        ax = list(r.ax)
        for d in dims:
            a = ax[d]
            if len(a) != 1:
                self.fail(node, "torch.flip of a merged axis")
            self.labels.unify(a[0], "T", node.where) if not self.labels.get(a[0]).startswith("T") else None
            ax[d] = (a[0][:-1] if a[0].endswith("~") else a[0] + "~",)
        return self.relabel(r, ax)

    def identity(self, node, x, *a, **k):
        r = self.R(node, x)
        if isinstance(r, (View, Zero)) or self.is_attn(r):
            return r
        self.fail(node, "torch.%s of %s" % (node.kind, type(r).__name__))

    def op_zeros(self, node, *a, **k):
        return Zero(node.outs[0].shape)

    op_zeros_like = op_new_zeros = op_zeros

    # ---- indexing, joining
    def op_getitem(self, node, x, idx):
        r = self.R(node, x)
        if isinstance(r, tuple):
            return r[idx]
        step = self.step_slice(node, x, idx)
        if step is not None:
            return step
        v = self.tensor(node, r, "the indexed value")
        idx = idx if isinstance(idx, tuple) else (idx,)
        ax = list(v.ax)
        out = v
        d = 0
        for e in idx:
            if e is Ellipsis:
                d = len(ax) - (len(idx) - 1 - idx.index(e)) + 0
                continue
            if isinstance(e, slice) and e == slice(None):
                d += 1
                continue
            if isinstance(e, int) and not isinstance(e, bool):
                sq_ax, lab = self.axis(node, out, d)
                if lab.endswith("~"):
                    e = -1 - e
                name = self.emit("select", "select", {"x": out.name},
                                 OrderedDict([("axis", sq_ax), ("index", e)]))
                sq = [l for i, l in enumerate(out.sq) if i != sq_ax]
                out = View(name, sq, [a for i, a in enumerate(out.ax) if i != d], step=out.step, rev=out.rev)
                continue
            self.fail(node, "indexing with %r: seqrt's select takes integer indices (h_n[-1], y[:, -1])" % (e,))
        return out

    def op_mean(self, node, x, dim=None, keepdim=False, dtype=None):
        """x.mean(dim) over the time axis of a sequence: seqrt's mean_pool
        (every step counts: the recorded model has no lengths)."""
        v = self.tensor(node, self.R(node, x), "the mean's input")
        if isinstance(dim, (tuple, list)) and len(dim) == 1:
            dim = dim[0]
        if not isinstance(dim, int) or keepdim:
            self.fail(node, "torch.mean has no seqrt form here: only a mean over the time axis of a sequence "
                      "(x.mean(dim=t) without keepdim) is seqrt's mean_pool")
        _, lab = self.axis(node, v, dim)
        if lab.rstrip("~") != "T" or len(v.ax) != 3:
            self.fail(node, "torch.mean over %s has no seqrt form: only a mean over the time axis of a "
                      "[T, B, F] / [B, T, F] sequence is seqrt's mean_pool" % (lab or "this axis"))
        self.set_bf(node, v)
        b = [a for a in v.ax if self.labels.get(a[0]) == "B"]
        f = [a for a in v.ax if self.labels.get(a[0]) == "F"]
        if not b or not f:
            self.fail(node, "torch.mean over time: the other axes must be the batch and the features")
        return View(self.emit("mean_pool", "mean", {"x": v.name}), ["B", "F"], [b[0], f[0]])

    def op_select(self, node, x, dim, index):
        idx = tuple([slice(None)] * (dim % len(x.shape)) + [index])
        return self.op_getitem(node, x, idx)

    def op_cat(self, node, xs, dim=0):
        col = self.collect(node, xs, dim, stack=False)
        if col is not None:
            return col
        rs = [self.R(node, v) for v in xs]
        add = self.additive_cat(node, rs, dim)
        if add is not None:
            return add
        bi = self.bi_concat(node, rs, dim)
        if bi is not None:
            return bi
        vs = [self.squeeze_layers(node, self.tensor(node, r, "torch.cat's input")) for r in rs]
        ax, _ = self.axis(node, vs[0], dim)
        return self.same(vs[0], self.emit("concat", "cat", {"x": [v.name for v in vs]}, {"axis": ax}))

    def op_stack(self, node, xs, dim=0):
        col = self.collect(node, xs, dim, stack=True)
        if col is None:
            self.fail(node, "torch.stack of values that are not one loop's steps has no seqrt form")
        return col

    def op_one_hot(self, node, x, num_classes=-1):
        v = self.tensor(node, self.R(node, x), "one_hot's input")
        if num_classes < 1:
            self.fail(node, "F.one_hot needs num_classes (the depth is fixed in seqrt)")
        self.ids[v.name] = min(self.ids.get(v.name, num_classes), num_classes)
        return View(self.emit("one_hot", "one_hot", {"x": v.name}, {"depth": num_classes}), v.sq + ["F"],
                    v.ax + [("F",)], step=v.step, rev=v.rev)


for _k in IDENTITY:
    setattr(_Ops, "op_" + _k, _Ops.identity)
del _k

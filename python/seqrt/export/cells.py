"""Identifying the cell of a folded loop by its dataflow.

A hand-written step is matched by what feeds which nonlinearity: the gates
are sigmoid/tanh of sums of terms (x @ W, x @ W.T, per-gate nn.Linear,
F.linear, a Linear of cat(x, h), biases, c * w peepholes; or one gate's
columns of a fused sum: chunk, split, [:, lo:hi]), and the new states
combine them as an LSTM (c' = f c + i g, h' = o tanh(c'), optionally i = 1 - f and peepholes), a
GRU (h' = z h + (1 - z) n, either way round, reset before or after the
matmul) or a plain RNN (h' = tanh/relu(...)) does. The result is a Cell:
the kind, the sizes and the weights in seqrt's (PyTorch's) layout. A step
that matches no cell raises ExportError naming the operation that
differs."""

import numpy as np
import torch

from .report import ExportError

ADD = ("add", "__add__", "__radd__", "add_", "__iadd__")
MUL = ("mul", "__mul__", "__rmul__", "mul_", "__imul__")
MATMUL = ("matmul", "__matmul__", "mm", "__rmatmul__")
SIGMOID = ("sigmoid",)
TANH = ("tanh",)
# operations that do not change a per-step value's numbers
PASS = ("contiguous", "clone", "to", "float", "type_as", "detach", "squeeze", "unsqueeze", "view", "reshape",
        "flatten", "double")


class Cell:
    """kind "lstm"/"gru"/"rnn"; weights {name: float64 array} with
    PyTorch's names for one direction of one layer (weight_ih, weight_hh,
    bias_ih, bias_hh, weight_pi/pf/po); attrs for the layer."""

    def __init__(self, kind, input_size, hidden_size, weights, attrs, where):
        self.kind, self.input_size, self.hidden_size = kind, input_size, hidden_size
        self.weights, self.attrs, self.where = weights, attrs, where
        self.x = None                   # the per-step input Val (rep block)
        self.h_new = self.c_new = None  # Vals of the new states
        self.h_slot = self.c_slot = None


def _np(t):
    return t.detach().to(torch.float64).cpu().numpy()


def strip(v):
    while v.node is not None and v.node.kind in PASS and v.node.args and getattr(v.node.args[0], "id", None) \
            is not None:
        v = v.node.args[0]
    return v


class _Terms:
    """The sum of terms a gate's pre-activation is, by source."""

    def __init__(self, cell, where):
        self.cell, self.where = cell, where
        self.w = {}          # leaf key -> [H, in] weight
        self.b = None
        self.peep = {}       # leaf key -> [H]

        self.win = None      # (lo, hi): the rows of a fused pre-activation this gate is (chunk, [:, lo:hi])

    def cut(self, a):
        return a if self.win is None else a[self.win[0]:self.win[1]]

    def add_w(self, key, w):
        w = self.cut(w)
        self.w[key] = self.w[key] + w if key in self.w else w

    def add_b(self, b):
        b = self.cut(b.reshape(-1))
        self.b = b if self.b is None else self.b + b


class Matcher:
    """Matches one hand-written step. leaves: Val id -> "x", ("h", slot),
    ("c", slot) or another key; the caller gives what each leaf is."""

    def __init__(self, leaves, where, is_input=None):
        self.leaves, self.where = leaves, where
        self.extra = {}      # Val id -> key for inner leaves (c_new, r * h)
        self.is_input = is_input
        self.x = None        # the step's input (found where a matmul or Linear reads it)

    def I(self):
        if self.x is None:
            raise ExportError("%s: the loop's step reads no per-step input" % self.where)
        return self.x.shape[-1]

    def fail(self, v, want):
        n = v.node
        what = ("torch.%s" % n.kind if n.module is None else "%s (%s)" % (n.module_name, type(n.module).__name__)) \
            if n is not None else (v.name or "a constant")
        at = n.where if n is not None else self.where
        raise ExportError("%s: the loop at %s folds into a recurrence, but its step matches no cell seqrt has: "
                          "%s where %s" % (at, self.where, what, want))

    def leaf(self, v):
        v = strip(v)
        k = self.extra.get(v.id, self.leaves.get(v.id))
        if k is None and v.node is not None and v.node.kind in MUL and len(v.node.args) == 2:
            a, b = v.node.args      # r * h, read by a matmul (a GRU resetting before it)
            for p, q in ((a, b), (b, a)):
                if hasattr(q, "id") and isinstance(self.leaves.get(strip(q).id), tuple) and \
                        self.leaves[strip(q).id][0] == "h" and hasattr(p, "id"):
                    return ("rh", p)
        if k is None and self.is_input is not None and self.is_input(v):
            if self.x is None:
                self.x = v
            if v.id == self.x.id:
                return "x"
            self.fail(v, "the step reads one input (it reads two different values here)")
        return k

    def terms(self, v, acc):
        v = strip(v)
        n = v.node
        if n is not None and n.kind in ADD and len(n.args) == 2 and not n.kwargs.get("alpha", 1) != 1:
            for a in n.args:
                if not hasattr(a, "id"):
                    self.fail(v, "a gate sums tensors (a number added needs a bias parameter)")
                self.terms(a, acc)
            return acc
        if v.kind == "param":
            acc.add_b(_np(v.tensor))
            return acc
        win = _window(v)
        if win is not None:                 # one gate's columns of a fused x @ W + h @ U + b
            src, lo, hi = win
            old = acc.win
            acc.win = (lo, hi) if old is None else (old[0] + lo, old[0] + hi)
            self.terms(src, acc)
            acc.win = old
            return acc
        if n is None:
            self.fail(v, "a gate's terms are x @ W, h @ W, nn.Linear(x), biases and c * w")
        if n.kind in MATMUL:
            a, b = n.args[0], n.args[1]
            w = _param_2d(b)
            if self.leaf(a) is not None and w is not None:
                acc.add_w(self.leaf(a), w.T)          # x @ W (W [in, H]); x @ W.T gives W [H, in]
                return acc
            if self.leaf(b) is not None and _param_2d(a) is not None:
                if len(strip(b).shape) != 1:
                    self.fail(v, "W @ x orientation with a batch of column vectors (write x @ W.T, or "
                              "W @ x with unbatched vectors)")
                acc.add_w(self.leaf(b), _param_2d(a))     # W @ x: W is [H, in]
                return acc
            self.fail(v, "a matmul of the step's input or state with a parameter")
        if n.kind == "linear" and n.module is None:
            a, w = n.args[0], n.args[1]
            bias = n.args[2] if len(n.args) > 2 else n.kwargs.get("bias")
            if self.leaf(a) is None or getattr(w, "kind", None) != "param":
                self.fail(v, "F.linear of the step's input or state")
            acc.add_w(self.leaf(a), _np(w.tensor))
            if bias is not None:
                acc.add_b(_np(bias.tensor))
            return acc
        if n.kind == "module" and isinstance(n.module, torch.nn.Linear):
            a = n.args[0]
            if self.leaf(a) is None:
                src = strip(a)
                if src.node is not None and src.node.kind in ("cat", "concat"):
                    return self._linear_of_cat(v, n.module, src, acc)
                self.fail(v, "nn.Linear of the step's input or state")
            acc.add_w(self.leaf(a), _np(n.module.weight))
            if n.module.bias is not None:
                acc.add_b(_np(n.module.bias))
            return acc
        if n.kind in MUL and len(n.args) == 2:
            a, b = n.args
            if getattr(b, "kind", None) == "param" and self.leaf(a) is not None:
                a, b = b, a
            if getattr(a, "kind", None) == "param" and self.leaf(b) is not None and a.tensor.dim() == 1:
                acc.peep[self.leaf(b)] = acc.cut(_np(a.tensor))
                return acc
            if hasattr(a, "id") and hasattr(b, "id"):
                acc.other = (a, b, v)
                return acc
        self.fail(v, "a gate's terms are x @ W, h @ W, nn.Linear(x), biases and c * w")

    def _linear_of_cat(self, v, m, cat, acc):
        parts = cat.node.args[0]
        W = _np(m.weight)
        col = 0
        for p in parts:
            k = self.leaf(p)
            if k is None:
                self.fail(v, "nn.Linear of torch.cat of the step's input and state")
            n = p.shape[-1]
            acc.add_w(k, W[:, col:col + n])
            col += n
        if m.bias is not None:
            acc.add_b(_np(m.bias))
        return acc

    def act(self, v, kinds, want):
        v = strip(v)
        if v.node is None or v.node.kind not in kinds and not (
                v.node.kind == "module" and type(v.node.module).__name__.lower() in kinds):
            self.fail(v, want)
        return v.node.args[0]

    def products(self, v, want):
        """v as a sum of two products: [(a, b), (c, d)]."""
        v = strip(v)
        n = v.node
        if n is None or n.kind not in ADD or len(n.args) != 2:
            self.fail(v, want)
        res = []
        for a in n.args:
            a = strip(a)
            if a.node is None or a.node.kind not in MUL or len(a.node.args) != 2:
                self.fail(a, want)
            res.append(tuple(a.node.args))
        return res


def _window(v):
    """(fused value, lo, hi) when v is columns lo:hi of the last axis of
    another value (chunk / split / [:, lo:hi]), else None."""
    n = v.node
    if n is None or not n.args or not hasattr(n.args[0], "id"):
        return None
    src = n.args[0]
    last = len(src.shape) - 1
    if n.kind in ("chunk", "split") and v in n.outs:
        dim = n.args[2] if len(n.args) > 2 else n.kwargs.get("dim", 0)
        if dim % len(src.shape) != last:
            return None
        k = n.outs.index(v)
        lo = sum(o.shape[-1] for o in n.outs[:k])
        return src, lo, lo + v.shape[-1]
    if n.kind == "__getitem__" and isinstance(n.args[1], tuple):
        idx = n.args[1]
        if len(idx) == len(src.shape) and all(isinstance(e, slice) and e == slice(None) for e in idx[:-1]) \
                and isinstance(idx[-1], slice) and idx[-1].step in (None, 1):
            lo, hi, _ = idx[-1].indices(src.shape[-1])
            return src, lo, hi
    return None


def _param_2d(v):
    """The [in, out] matrix a matmul's right operand is: a 2-D parameter,
    or a transposed one (W.T, W.t(), W.transpose(0, 1)), else None."""
    if getattr(v, "kind", None) == "param" and v.tensor.dim() == 2:
        return _np(v.tensor)
    n = getattr(v, "node", None)
    if n is not None and n.kind in ("t", "T", "transpose") and n.args and \
            getattr(n.args[0], "kind", None) == "param" and n.args[0].tensor.dim() == 2:
        return _np(n.args[0].tensor).T
    return None


def one_minus(v):
    """x when v is 1 - x (torch.Tensor.__rsub__ / torch.sub(1, x)), else None."""
    v = strip(v)
    n = v.node
    if n is not None and n.kind in ("__rsub__", "rsub") and len(n.args) == 2 and n.args[1] == 1:
        return n.args[0]
    if n is not None and n.kind == "sub" and len(n.args) == 2 and n.args[0] == 1:
        return n.args[1]
    return None


def _same(a, b):
    return strip(a).id == strip(b).id


def _gate(acc, H, key_h, m, v):
    """(W_x [H, I], W_h [H, H'], bias [H]) of one gate's terms."""
    key_x = "x"
    for k in acc.w:
        if k not in (key_x, key_h):
            m.fail(v, "a gate reads only the step's input and the previous hidden state")
    Hh = acc.w[key_h].shape[1] if key_h in acc.w else H
    wx = acc.w[key_x] if key_x in acc.w else np.zeros((H, m.I()))
    wh = acc.w.get(key_h, np.zeros((H, Hh)))
    b = acc.b if acc.b is not None else np.zeros(H)
    return wx, wh, b


def _state_factor(m, prods, slot):
    """Of the products a * b that sum to a new state: the factor that
    multiplies the old state (leaf `slot`), and the other product as a pair
    (None where either is absent)."""
    factor = other = None
    for a, b in prods:
        if m.leaf(b) == slot:
            a, b = b, a
        if m.leaf(a) == slot:
            factor = b
        else:
            other = (a, b)
    return factor, other


def match_lstm(m, h_slot, c_slot, h_new, c_new, H, where):
    """The LSTM cell of (h_new, c_new); h/c slots are the leaves' keys."""
    want_c = "an LSTM's new cell state is f * c + i * g"
    f, ig = _state_factor(m, m.products(c_new, want_c), c_slot)
    if f is None or ig is None:
        m.fail(c_new, want_c)
    i, g = ig
    if strip(g).node is None or strip(g).node.kind not in TANH:
        i, g = g, i
    coupled = one_minus(i) is not None
    if coupled and not _same(one_minus(i), f):
        m.fail(i, "a coupled LSTM's input gate is 1 - f")
    want_h = "an LSTM's new hidden state is o * tanh(c')"
    n = strip(h_new).node
    if n is None or n.kind not in MUL:
        m.fail(h_new, want_h)
    o, t = n.args
    if strip(t).node is None or strip(t).node.kind not in TANH:
        o, t = t, o
    if not _same(m.act(t, TANH, want_h), c_new):
        m.fail(t, want_h)
    m.extra[strip(c_new).id] = "c_new"
    gates = {}
    for name, gv, fn in (("f", f, SIGMOID), ("g", g, TANH), ("o", o, SIGMOID)) + \
            ((("i", i, SIGMOID),) if not coupled else ()):
        pre = m.act(gv, fn, "the %s gate is %s of a sum of terms" % (name, "tanh" if name == "g" else "sigmoid"))
        acc = m.terms(pre, _Terms(m, where))
        if hasattr(acc, "other"):
            m.fail(acc.other[2], "an LSTM gate's terms are x @ W, h @ W, biases and c * w")
        peep = {}
        for k, w in acc.peep.items():
            if (k == c_slot and name in ("i", "f")) or (k == "c_new" and name == "o"):
                peep[name] = w
            else:
                m.fail(gv, "a peephole of gate %s reads %s" % (name, "c_{t-1}" if name != "o" else "c_t"))
        gates[name] = (_gate(acc, H, h_slot, m, gv), peep)
    if coupled:
        gates["i"] = ((np.zeros((H, m.I())), np.zeros((H, gates["f"][0][1].shape[1])), np.zeros(H)), {})
    order = ("i", "f", "g", "o")
    w = {"weight_ih": np.concatenate([gates[k][0][0] for k in order]),
         "weight_hh": np.concatenate([gates[k][0][1] for k in order]),
         "bias_ih": np.concatenate([gates[k][0][2] for k in order]),
         "bias_hh": np.zeros(4 * H)}
    attrs = {}
    peeps = {k: p[k] for k, (g_, p) in gates.items() for k in p}
    if peeps:
        attrs["peephole"] = True
        for k in ("i", "f", "o"):
            w["weight_p" + k] = peeps.get(k, np.zeros(H))
    if coupled:
        attrs["coupled"] = True
    return Cell("lstm", m.I(), H, w, attrs, where)


def match_gru(m, h_slot, h_new, H, where):
    want = "a GRU's new state is z * h + (1 - z) * n"
    zh, zn = _state_factor(m, m.products(h_new, want), h_slot)
    if zh is None or zn is None:
        m.fail(h_new, want)
    a, b = zn
    if strip(a).node is not None and strip(a).node.kind in TANH:
        a, b = b, a
    ntanh = b
    flip = False
    if one_minus(a) is not None and _same(one_minus(a), zh):
        zv = zh                         # h' = z h + (1 - z) n
    elif one_minus(zh) is not None and _same(one_minus(zh), a):
        zv, flip = a, True              # h' = (1 - z) h + z n: PyTorch's z is 1 - z
    else:
        m.fail(h_new, want)
    z_acc = m.terms(m.act(zv, SIGMOID, "the update gate is a sigmoid"), _Terms(m, where))
    wz = _gate(z_acc, H, h_slot, m, zv)
    if flip:
        wz = tuple(-w for w in wz)
    n_acc = m.terms(m.act(ntanh, TANH, "the candidate state is a tanh"), _Terms(m, where))
    r = None
    lbr = True
    if hasattr(n_acc, "other"):            # r * (h @ W_hn + b_hn)
        p, q, v = n_acc.other
        if strip(p).node is not None and strip(p).node.kind in SIGMOID:
            r, inner = p, q
        else:
            r, inner = q, p
        h_acc = m.terms(inner, _Terms(m, where))
        whn = _gate(h_acc, H, h_slot, m, inner)
        if h_acc.w.get("x") is not None:
            m.fail(inner, "the reset gate multiplies only h @ W_hn + b_hn")
        del n_acc.other
        win = _gate(n_acc, H, h_slot, m, ntanh)
        wn = (win[0], whn[1], win[2], whn[2])
    else:
        lbr = False
        rh = [k for k in n_acc.w if isinstance(k, tuple) and k[0] == "rh"]
        if not rh:
            m.fail(ntanh, "the candidate state reads r * h (or r * (h @ W))")
        r = rh[0][1]
        n_acc.w[h_slot] = n_acc.w.pop(rh[0])
        win = _gate(n_acc, H, h_slot, m, ntanh)
        wn = (win[0], win[1], win[2], np.zeros(H))
    r_acc = m.terms(m.act(r, SIGMOID, "the reset gate is a sigmoid"), _Terms(m, where))
    wr = _gate(r_acc, H, h_slot, m, r)
    w = {"weight_ih": np.concatenate([wr[0], wz[0], wn[0]]),
         "weight_hh": np.concatenate([wr[1], wz[1], wn[1]]),
         "bias_ih": np.concatenate([wr[2], wz[2], wn[2]]),
         "bias_hh": np.concatenate([np.zeros(H), np.zeros(H), wn[3]])}
    return Cell("gru", m.I(), H, w, {} if lbr else {"linear_before_reset": False}, where)


def match_rnn(m, h_slot, h_new, H, where):
    v = strip(h_new)
    n = v.node
    kinds = {"tanh": "tanh", "relu": "relu"}
    k = None
    if n is not None:
        k = kinds.get(n.kind) or (kinds.get(type(n.module).__name__.lower()) if n.module is not None else None)
    if k is None:
        m.fail(h_new, "an RNN's new state is tanh or relu of a sum of terms")
    acc = m.terms(n.args[0], _Terms(m, where))
    wx, wh, b = _gate(acc, H, h_slot, m, h_new)
    return Cell("rnn", m.I(), H, {"weight_ih": wx, "weight_hh": wh, "bias_ih": b, "bias_hh": np.zeros(H)},
                {} if k == "tanh" else {"nonlinearity": "relu"}, where)


def module_cell(node):
    """The Cell of an nn.LSTMCell / GRUCell / RNNCell call."""
    mod = node.module
    kind = {"LSTMCell": "lstm", "GRUCell": "gru", "RNNCell": "rnn"}[type(mod).__name__]
    H = mod.hidden_size
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    w = {"weight_ih": _np(mod.weight_ih), "weight_hh": _np(mod.weight_hh),
         "bias_ih": _np(mod.bias_ih) if mod.bias else np.zeros(G * H),
         "bias_hh": _np(mod.bias_hh) if mod.bias else np.zeros(G * H)}
    attrs = {}
    if kind == "rnn" and mod.nonlinearity != "tanh":
        attrs["nonlinearity"] = mod.nonlinearity
    return Cell(kind, mod.input_size, H, w, attrs, node.where)

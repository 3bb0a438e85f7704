"""The recorded path's attention patterns, written with bmm / matmul /
`*` and sum / softmax as the tutorials write them, mapped onto seqrt's
`attention` and `attention_pool` ops:

  dot:      bmm(keys, q.unsqueeze(2)) (or sum(q * keys, dim)) -> softmax
            over time -> bmm(keys.transpose(1, 2), w.unsqueeze(2))
  general:  the same with keys through an nn.Linear first (q . (W k + b):
            the bias adds q . b to every score of a row, which softmax
            ignores, so it is dropped)
  concat:   sum(v * tanh(Linear(cat(q.expand(T, -1, -1), keys))), 2):
            the additive score (the Linear's columns split between
            query.weight and key.weight, its bias key.bias, v v.weight)
  scaled:   dot scores / sqrt(features) (or * 1/sqrt(features)) ->
            score "scaled_dot"; any other constant on scores is refused
  pooling:  softmax over time of Linear(act(Linear(x))) with one output
            -> sum(x * w.unsqueeze(-1), dim=time): `attention_pool`

The query is a [B, H] value, or a decoder's own step (a sequence of one
step, [1, B, H]: seqrt's sequence query) beside the longer keys.
Scores and weights are symbolic (Score, AttW) until something reads them;
only softmax, the weighted sum, the layout plumbing and returning the
weights are allowed on them."""

import math
from collections import OrderedDict

import numpy as np

from .layout import View


class Score:
    """Attention scores of query q ([B, Hq] View) over keys (a sequence
    View); weight: general's [Hq, Hk] (None for dot)."""

    def __init__(self, q, keys, weight, ax, one_step=False, feat=None, scaled=False):
        self.q, self.keys, self.weight, self.ax = q, keys, weight, [tuple(a) for a in ax]
        self.one_step = one_step    # q is a decoder's step: a sequence query of one step
        self.feat, self.scaled = feat, scaled   # the features a dot score sums over; divided by their sqrt

    def with_ax(self, ax):
        return Score(self.q, self.keys, self.weight, ax, self.one_step, self.feat, self.scaled)


class AttW:
    """Softmax of a Score over time (or attention_pool's weights)."""

    def __init__(self, score, ax, pool=None):
        self.score, self.ax, self.pool = score, [tuple(a) for a in ax], pool
        self.layer = [None]       # shared by every View of these weights

    def with_ax(self, ax):
        w = AttW(self.score, ax, self.pool)
        w.layer = self.layer
        return w


class Prod:
    """An elementwise product waiting for its sum: (a, b, torch axes)."""

    def __init__(self, a, b, ax):
        self.a, self.b, self.ax = a, b, [tuple(x) for x in ax]

    def with_ax(self, ax):
        return Prod(self.a, self.b, ax)


class Additive:
    """The chatbot tutorial's "concat" score on its way to `attention`'s
    additive one: stage "expand" (q.expand(T, -1, -1)), "cat" (with the
    keys), "linear" (W q + W k + b), "tanh", "v" (v * tanh(...))."""

    def __init__(self, stage, q, keys=None, q_first=True, ws=None, ax=None):
        self.stage, self.q, self.keys, self.q_first, self.ws = stage, q, keys, q_first, ws or {}
        self.ax = [tuple(a) for a in ax] if ax is not None else []

    def next(self, stage, ws=None):
        return Additive(stage, self.q, self.keys, self.q_first, dict(self.ws, **(ws or {})), self.ax)


class _Attn:
    """Mixin of Lower."""

    def is_attn(self, r):
        return isinstance(r, (Score, AttW, Prod, Additive))

    def op_expand(self, node, x, *sizes):
        r = self.R(node, x)
        if isinstance(r, View) and self.one_step(r, x.shape) and len(x.shape) == 3:
            return Additive("expand", r)
        self.fail(node, "torch.expand has no seqrt form (only a decoder step's query expanded over the keys, "
                  "the \"concat\" score of the chatbot tutorial)")

    def additive_cat(self, node, rs, dim):
        """torch.cat((q.expand(...), keys), 2): None when no expanded query is joined."""
        if len(rs) != 2 or not any(isinstance(r, Additive) for r in rs):
            return None
        qf = isinstance(rs[0], Additive)
        e, k = (rs[0], rs[1]) if qf else (rs[1], rs[0])
        if e.stage != "expand" or not isinstance(k, View) or dim % 3 != 2:
            self.fail(node, "torch.cat of an expanded query with something other than the keys' features")
        if not self.is_seq(k) and all(len(a) == 1 and self.labels.get(a[0]).startswith("?") for a in k.ax[:2]):
            self.seq_input(node, k, bool(self.bf))
        return Additive("cat", e.q, self.materialize(node, k), qf, ax=k.ax)

    def additive_linear(self, node, m, r):
        if r.stage != "cat":
            self.fail(node, "nn.Linear of a step of the concat score out of order")
        w = m.weight.detach().double().cpu().numpy()
        hq = w.shape[1] - self.keys_width(r)
        wq, wk = (w[:, :hq], w[:, hq:]) if r.q_first else (w[:, w.shape[1] - hq:], w[:, :w.shape[1] - hq])
        ws = {"query.weight": wq, "key.weight": wk}
        if m.bias is not None:
            ws["key.bias"] = m.bias.detach().double().cpu().numpy()
        return r.next("linear", ws)

    def keys_width(self, r):
        for L in self.layers:
            if L["name"] == r.keys.name:
                return L.get("hidden_size") or L.get("out_features") or L.get("embedding_dim")
        v = self.input_vals.get(r.keys.name)
        return v.shape[-1]

    def additive_v(self, node, p, r):
        """self.v * tanh(...): the additive score's v."""
        if r.stage != "tanh" or p.tensor.dim() != 1:
            self.fail(node, "a parameter times a step of the concat score other than its tanh")
        return r.next("v", {"v.weight": p.tensor.detach().double().cpu().numpy().reshape(1, -1)})

    def attn_handler(self, node, k):
        return {"bmm": self.op_bmm, "matmul": self.op_bmm, "sum": self.op_sum}.get(k)

    def labs(self, r):
        return [self.labels.get(a[0]) if len(a) == 1 else ("*" if a else "") for a in r.ax]

    def query(self, node, v, one_step=False):
        """v as a [B, Hq] seqrt value (a one-layer h_n loses its layer axis),
        or (one_step) a decoder's own step: a sequence query of one step."""
        v = self.materialize(node, v)
        sq = [self.labels.get(l) for l in v.sq]
        if "T" in sq and not one_step:
            self.fail(node, "an attention query that is a sequence: seqrt's attention ops here take a [B, H] "
                      "query (or one decoder step, a sequence of length 1)")
        return self.squeeze_layers(node, v, force=True)

    def one_step(self, r, shape):
        """True when the sequence View r is one step in PyTorch (its time axis
        squeezed away or of size 1): a decoder's step, the query of attention
        over another sequence."""
        labs = [[self.labels.get(l).rstrip("~") for l in a] for a in r.ax]
        return self.is_seq(r) and all(a != ["T"] or shape[i] == 1 for i, a in enumerate(labs)) and \
            not any("T" in a and len(a) > 1 for a in labs)

    def seq_pair(self, ra, rb, sa, sb):
        """(keys, query, one_step) of two Views where one is a sequence and the
        other a [B, H] query or one decoder step; None otherwise."""
        if not (isinstance(ra, View) and isinstance(rb, View)):
            return None
        for x, y, sx, sy in ((ra, rb, sa, sb), (rb, ra, sb, sa)):
            if self.one_step(x, sx) and not self.is_seq(y) and len(sy) == 3 and sy[0] > 1 and \
                    all(len(a) == 1 and self.labels.get(a[0]).startswith("?") for a in y.ax[:2]):
                self.seq_input(self.at, y, bool(self.bf))  # a model input (or its Linear): the step's keys
                return y, x, True
        if self.is_seq(ra) != self.is_seq(rb):
            return (ra, rb, False) if self.is_seq(ra) else (rb, ra, False)
        if self.is_seq(ra):
            oa, ob = self.one_step(ra, sa), self.one_step(rb, sb)
            if oa != ob:
                return (rb, ra, True) if oa else (ra, rb, True)
        return None

    def squeeze_layers(self, node, v, force=False):
        """A one-layer state ([1, B, H] in seqrt) that PyTorch squeezed to
        [B, H]: select its only row."""
        sq = [self.labels.get(l) for l in v.sq]
        ax = [self.labels.get(l) for a in v.ax for l in a]
        if "L" not in sq or ("L" in ax and not force):
            return v
        name = self.emit("select", v.name.replace(":", "_"), {"x": v.name},
                         OrderedDict([("axis", sq.index("L")), ("index", -1)]))
        return View(name, [l for l in sq if l != "L"], [a for a in v.ax if [self.labels.get(l) for l in a] != ["L"]])

    def is_seq(self, r):
        return isinstance(r, View) and "T" in [self.labels.get(l).rstrip("~") for l in r.sq]

    def keys_of(self, node, k):
        """(keys View, general weight or None): keys through an nn.Linear are general's."""
        k = self.materialize(node, k)
        for L in self.layers:
            if L["name"] == k.name and L["op"] == "linear":
                src = L["inputs"]["x"]
                w = self.weights["%s.weight" % k.name]
                return View(src, k.sq, k.ax), w
        return k, None

    def op_bmm(self, node, a, b):
        ra, rb = self.R(node, a), self.R(node, b)
        if len(a.shape) != 3 or len(b.shape) != 3:
            self.fail(node, "torch.%s of tensors that are not [B, n, m]: only attention's bmm has a seqrt form"
                      % node.kind)
        la, lb = self.labs(ra), self.labs(rb)
        if la[-1] != lb[1] or la[-1] == "" or la[0] != "B" or lb[0] != "B":
            self.fail(node, "torch.%s contracting %s with %s: seqrt maps only attention's bmm (scores of a "
                      "query over a sequence, and the weighted sum of a sequence)" % (node.kind, la, lb))
        out = [ra.ax[0], ra.ax[1], rb.ax[2]]
        pair = self.seq_pair(ra, rb, a.shape, b.shape) if la[-1] == "F" else None
        if pair is not None:
            k, q, one = pair
            keys, w = self.keys_of(node, k)
            return Score(self.query(node, q, one), keys, w, out, one, a.shape[-1])
        if la[-1] == "T":
            w, v = (ra, rb) if isinstance(ra, AttW) else (rb, ra)
            if isinstance(w, AttW) and isinstance(v, View):
                return self.context(node, w, v, out)
        self.fail(node, "torch.%s of %s and %s has no seqrt form: only attention's bmm maps" % (
            node.kind, type(ra).__name__, type(rb).__name__))

    def attn_mul(self, node, ra, rb):
        """q * keys or keys * w broadcast: a Prod (None when not attention)."""
        sa, sb = node.args[0].shape, node.args[1].shape
        pair = self.seq_pair(ra, rb, sa, sb)
        if pair is not None:
            k, q = pair[0], (pair[1], pair[2])
        elif isinstance(ra, AttW) or isinstance(rb, AttW):
            q, k = (ra, rb) if isinstance(ra, AttW) else (rb, ra)
        else:
            return None
        if len(sa) != len(sb):
            return None
        ax = [x if n != 1 else y for x, y, n in zip(ra.ax, rb.ax, sa)]
        return Prod(q, k, ax)

    def op_sum(self, node, x, dim=None, keepdim=False, **kw):
        r = self.R(node, x)
        if isinstance(r, Additive) and r.stage == "v" and dim is not None and dim % 3 == 2 and not keepdim:
            return Score(self.query(node, r.q, True), r.keys, r.ws, r.ax[:2], True)
        if not isinstance(r, Prod) or dim is None or isinstance(dim, (list, tuple)):
            self.fail(node, "torch.sum has no seqrt form here (only the sums of attention: q * keys over the "
                      "features, w * x over time)")
        d = dim % len(r.ax)
        lab = self.labels.get(r.ax[d][0]) if len(r.ax[d]) == 1 else ""
        out = [a for i, a in enumerate(r.ax) if i != d] if not keepdim else \
            [a if i != d else () for i, a in enumerate(r.ax)]
        if lab == "F" and isinstance(r.a, tuple):
            keys, w = self.keys_of(node, r.b)
            return Score(self.query(node, r.a[0], r.a[1]), keys, w, out, r.a[1], x.shape[d])
        if lab == "T" and isinstance(r.a, AttW):
            return self.context(node, r.a, r.b, out)
        self.fail(node, "torch.sum over %s of a product has no seqrt form" % (lab or "this axis"))

    def scale_scores(self, node, s, c, divide):
        """Dot scores divided by sqrt of the features they sum over (or times
        1/sqrt): attention's "scaled_dot" score. Any other constant is refused."""
        f = s.feat
        ok = s.weight is None and not s.scaled and f and isinstance(c, (int, float)) and not isinstance(c, bool) \
            and c != 0 and abs((c if divide else 1.0 / c) - math.sqrt(f)) <= 1e-6 * math.sqrt(f)
        if not ok:
            what = "dot" if s.weight is None else "additive" if isinstance(s.weight, dict) else "general"
            self.fail(node, "attention scores %s %r have no seqrt form: seqrt's attention scales only dot scores, "
                      "and only by 1/sqrt(features) (score \"scaled_dot\"; sqrt(%s) = %s; these are %s%s scores)"
                      % ("/" if divide else "*", c, f, math.sqrt(f) if f else "?",
                         "already scaled " if s.scaled else "", what))
        return Score(s.q, s.keys, s.weight, s.ax, s.one_step, f, True)

    def attn_softmax(self, node, r, dim, op):
        if isinstance(r, Score):
            if op != "softmax" or self.labels.get(r.ax[dim][0]) != "T":
                self.fail(node, "%s of attention scores: seqrt's attention takes the softmax over time" % op)
            return AttW(r, r.ax)
        if isinstance(r, View) and op == "softmax" and len(r.ax[dim % len(r.ax)]) == 1 and \
                self.labels.get(r.ax[dim % len(r.ax)][0]) == "T":
            pool = self.pool_scores(r)
            if pool is not None:
                return AttW(None, r.ax, pool)
        return None

    def pool_scores(self, r):
        """(x, first linear, activation, second linear) when r is
        Linear(act(Linear(x))) with one output, squeezed."""
        by = {L["name"]: L for L in self.layers}
        L2 = by.get(r.name)
        if L2 is None or L2["op"] != "linear" or L2["out_features"] != 1 or any(a == ("F",) for a in r.ax):
            return None
        A = by.get(L2["inputs"]["x"])
        L1 = by.get(A["inputs"]["x"]) if A is not None and A["op"] == "activation" else None
        if L1 is None or L1["op"] != "linear" or A["function"] not in ("relu", "tanh", "sigmoid", "gelu"):
            return None
        return L1["inputs"]["x"], L1, A, L2

    def attention_layer(self, node, w, values=None):
        """Emits the attention (or attention_pool) layer of weights w once."""
        if w.layer[0] is not None:
            return w.layer[0]
        if w.pool is not None:
            x, L1, A, L2 = w.pool
            ws = {"projection.0.weight": self.weights["%s.weight" % L1["name"]],
                  "projection.2.weight": self.weights["%s.weight" % L2["name"]]}
            for k, L in (("projection.0.bias", L1), ("projection.2.bias", L2)):
                b = self.weights.get("%s.bias" % L["name"])
                ws[k] = b if b is not None else np.zeros(L["out_features"])
            name = self.emit("attention_pool", "attention_pool", OrderedDict([("x", x)]), OrderedDict(
                [("hidden", L1["out_features"]), ("activation", A["function"])]), weights=ws)
        else:
            s = w.score
            ins = OrderedDict([("query", s.q.name), ("keys", s.keys.name)])
            if values is not None and values != s.keys.name:
                ins["values"] = values
            if isinstance(s.weight, dict):
                attrs, ws = OrderedDict([("score", "additive"), ("attention_size", len(s.weight["v.weight"][0]))]), \
                    s.weight
            else:
                attrs = OrderedDict([("score", ("scaled_dot" if s.scaled else "dot") if s.weight is None
                                     else "general")])
                ws = {"weight": s.weight} if s.weight is not None else None
            name = self.emit("attention", "attention", ins, attrs, weights=ws)
        w.layer[0] = name
        return name

    def context(self, node, w, v, out):
        v = self.materialize(node, v)
        if w.pool is not None and v.name != w.pool[0]:
            self.fail(node, "attention pooling weights applied to another sequence than the one they score")
        name = self.attention_layer(node, w, v.name)
        if w.pool is None and v.name != w.score.keys.name and self.layers[-1]["name"] == name and \
                "values" not in self.layers[-1]["inputs"]:
            self.layers[-1]["inputs"]["values"] = v.name
        lab = [a for a in out if a and self.labels.get(a[0]) == "B"]
        sq = (["B", "T", "F"] if self.bf else ["T", "B", "F"]) if w.score is not None and w.score.one_step \
            else ["B", "F"]
        return View(name, sq, [a if a == lab[0] or not a else ("F",) for a in out])

    def attn_weights(self, node, w):
        """The weights of an AttW as a seqrt value ([B, T])."""
        if w.score is not None and w.score.one_step:
            self.fail(node, "returns the attention weights of a decoder step: seqrt gives them as [B, 1, T] "
                      "(a sequence query); return the context or the output instead")
        name = self.attention_layer(node, w)
        return View(name + ":weights", ["B", "T"], w.ax)

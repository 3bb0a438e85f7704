"""The recorded path's conversion: a Recording (record.py) with its folded
loops (fold.py) becomes seqrt's layers, weights and input declarations.

Nodes outside loops convert one by one (ops.py, attn.py). A loop converts
its second step once: every cell in it (an nn.LSTMCell/GRUCell/RNNCell
call, or a hand-written cell matched by cells.py) becomes a recurrent
layer over the whole sequence its per-step input is sliced from, the
step's other operations become the same ops over the sequences, and the
values that leave the loop (torch.stack/cat of every step, the last
step's states) become the layers' outputs and h_n/c_n. Two cells over
one input, one in each time direction, become one bidirectional layer."""

from collections import OrderedDict

import numpy as np

from . import cells as C
from .attn import _Attn
from .layout import Labels, View, Zero
from .ops import _Ops
from .record import Val
from .report import ExportError
from ..formats import unique_name

_CELL_MODULES = ("LSTMCell", "GRUCell", "RNNCell")


class Piece:
    """One output of split/unbind/chunk of a sequence (a step of a loop)."""

    def __init__(self, parent, dim, index, unit):
        self.parent, self.dim, self.index, self.unit = parent, dim, index, unit


class RLayer:
    """A folded recurrent layer: its cells by direction (False forward,
    True reverse), its input sequence and initial states."""

    def __init__(self, layer, cell, x, rev):
        self.layer, self.x, self.kind = layer, x, cell.kind
        self.dirs = {rev: cell}
        self.used = False
        self.selects = {}

    @property
    def name(self):
        return self.layer["name"]

    @property
    def bi(self):
        return len(self.dirs) == 2


class Lower(_Ops, _Attn):
    def __init__(self, rec, loops):
        self.rec, self.loops = rec, loops
        self.labels, self.bf = Labels(), None
        self.layers, self.weights, self.names = [], OrderedDict(), set()
        self.env, self.ids = {}, {}
        self.input_views, self.input_vals = OrderedDict(), OrderedDict()
        self.loop_of = {i: l for l in loops for i in l.members}
        self.finals, self.counter0 = {}, {}
        self.cur = None
        self.rlayers = []
        self.at = None                      # the node being converted (for internal errors)
        self.version = 1                    # 1.1 when a layer needs it (direction "reverse", affine)
        self.merged = {}                    # axes reshape() merged (tuple of labels) -> their sizes
        for v in rec.inputs:
            name = self.unique(v.name)
            labels = ["?%s.%d" % (name, d) for d in range(len(v.shape))]
            view = View(name, labels, [(l,) for l in labels])
            self.env[v.id] = view
            self.input_views[name], self.input_vals[name] = view, v

    # ---- helpers
    def fail(self, node, msg):
        raise ExportError("%s: %s" % (node.where if node is not None else "forward", msg))

    def unique(self, base):
        base = "".join(c if c.isalnum() or c in "_." else "_" for c in (base or "v"))
        if not (base[0].isalpha() or base[0] == "_"):
            base = "v_" + base
        return unique_name(self.names, base)

    def ref(self, node, v):
        if v.id in self.env:
            r = self.env[v.id]
            if isinstance(r, Piece):
                return self.piece_step(node, v, r)
            return r
        if v.kind == "param":
            self.fail(node, "reads the parameter '%s' directly outside a recurrent cell: seqrt maps parameters "
                      "inside cells and modules only" % v.name)
        if v.kind == "const" or v.node is None:
            self.fail(node, "uses a tensor that forward() did not compute from its inputs (a constant): seqrt "
                      "has no constant tensors")
        loop = self.loop_of.get(v.node.index)
        if loop is not None:
            t, p, o = loop.place(v)
            if t == loop.reps - 1 and (id(loop), p, o) in self.finals:
                return self.finals[(id(loop), p, o)]
            self.fail(node, "uses step %d of the loop at %s: only the states of its last step and outputs "
                      "collected over every step (torch.stack / torch.cat) leave a loop" % (t, loop.where()))
        self.fail(node, "internal: value %r used before it is defined" % v)

    def env_set(self, node, result):
        def put(s, r):
            if isinstance(s, Val):
                self.env[s.id] = r
            elif isinstance(s, tuple):
                if not isinstance(r, tuple) or len(r) != len(s):
                    self.fail(node, "internal: %s returns %d values" % (node.kind, len(s)))
                for a, b in zip(s, r):
                    put(a, b)
        put(node.out_struct, result)

    def materialize(self, node, v):
        rl = v.layer
        if rl is None:
            return v
        rl.used = True
        part, rev = v.part
        if part == "y":
            if rl.bi:
                self.fail(node, "uses one direction of the bidirectional layer %s alone: seqrt gives both "
                          "directions' outputs together (torch.cat([forward, backward], dim=-1))" % rl.name)
            return View(rl.name, v.sq, v.ax, step=v.step, rev=v.rev)
        value = "%s:%s_n" % (rl.name, part)
        if not rl.bi:
            return View(value, v.sq, v.ax)
        key = (part, rev)
        if key not in rl.selects:
            rl.selects[key] = self.emit("select", "%s_%s_n%s" % (rl.name, part, "_reverse" if rev else ""),
                                        {"x": value}, OrderedDict([("axis", 0), ("index", 1 if rev else 0)]))
        return View(rl.selects[key], ["B", "F"], v.ax)

    # ---- the walk
    def run(self):
        starts = {l.start: l for l in self.loops}
        nodes, i = self.rec.nodes, 0
        while i < len(nodes):
            n = nodes[i]
            self.at = n
            if n.index in starts:
                self.do_loop(starts[n.index])
                i = starts[n.index].end
                continue
            if n.kind in ("split", "unbind", "chunk"):
                self.env_set(n, self.pieces(n))
            else:
                self.env_set(n, self.convert(n))
            i += 1
        outs = []

        def walk(s):
            if isinstance(s, Val):
                outs.append(s)
            elif isinstance(s, (tuple, list)):
                for x in s:
                    walk(x)
        walk(self.rec.out_struct)
        views = []
        for v in outs:
            r = self.ref(None, v)
            if isinstance(r, Zero):
                self.fail(None, "forward() returns a tensor of zeros it made: seqrt outputs are computed values")
            r = self.tensor(None, r, "a returned value")
            if r.name in self.input_views:
                self.fail(None, "forward() returns its input '%s' unchanged: seqrt outputs must be computed "
                          "values" % r.name)
            views.append(self.labels.view(r))
        names = [v.name for v in views]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            self.fail(None, "forward() returns %s more than once: seqrt lists each output once" % ", ".join(dup))
        for rl in self.rlayers:
            self.finish_rlayer(rl)
        self.prune(names)
        if any(L["op"] == "activation" and L.get("function") == "affine" for L in self.layers):
            self.version = max(self.version, 1.1)       # activation "affine" is format 1.1
        return views

    def pieces(self, node):
        x = node.args[0]
        v = self.tensor(node, self.R(node, x), "the split value")
        dim = node.args[1] if node.kind == "unbind" and len(node.args) > 1 else node.kwargs.get("dim", 0)
        if node.kind in ("split", "chunk"):
            dim = node.args[2] if len(node.args) > 2 else node.kwargs.get("dim", 0)
            if any(o.shape[dim % len(x.shape)] != 1 for o in node.outs):
                self.fail(node, "torch.%s into pieces longer than one step has no seqrt form" % node.kind)
        dim = dim % len(x.shape)
        return tuple(Piece(v, dim, i, node.kind != "unbind") for i in range(len(node.outs)))

    def piece_step(self, node, v, p):
        if self.cur is None:
            self.fail(node, "uses one piece of torch.%s outside a loop over its pieces" % "split")
        v0 = self.counter0.get(v.id)
        p0 = self.env.get(v0.id) if v0 is not None else None
        n = len(self.rec.vals[v.id].node.outs)
        if not isinstance(p0, Piece) or p0.index not in (0, n - 1):
            self.fail(node, "a loop that reads the pieces of torch.split/unbind out of order")
        rev = p0.index != 0 or n == 1 and False
        return self.step_view(node, p.parent, p.dim, rev, unit=p.unit)

    def step_view(self, node, seq, d, rev, unit=False):
        a = seq.ax[d]
        if len(a) != 1:
            self.fail(node, "a loop over a merged axis")
        lab = self.labels.get(a[0])
        if lab.endswith("~"):
            rev = not rev
        else:
            self.labels.unify(a[0], "T", node.where)
        ax = [b for i, b in enumerate(seq.ax) if i != d] if not unit else \
            [b if i != d else () for i, b in enumerate(seq.ax)]
        for b in ax:
            if len(b) == 1 and self.labels.get(b[0]).startswith("?") and b != ax[-1]:
                self.labels.unify(b[0], "B", node.where)
        view = View(seq.name, seq.sq, ax, step=True, rev=rev)
        self.set_bf(node, view)
        return view

    def step_slice(self, node, x, idx):
        """A per-step slice x[:, t] (or x[t], x.select(d, t)) inside a loop: its step View."""
        if self.cur is None or node.index not in self.cur[0].pos:
            return None
        loop = self.cur[0]
        t, p = loop.pos[node.index]
        n0 = loop.blocks[0][p]
        i0 = n0.args[1] if n0.kind == "__getitem__" else None
        if n0.kind != "__getitem__":
            return None
        a = idx if isinstance(idx, tuple) else (idx,)
        b = i0 if isinstance(i0, tuple) else (i0,)
        diff = [k for k, (e, f) in enumerate(zip(a, b)) if isinstance(e, int) and e != f]
        if not diff:
            return None
        k = diff[0]
        seq = self.tensor(node, self.R(node, x), "the sliced sequence")
        if seq.step:
            return None
        rev = a[k] < b[k] if (a[k] >= 0) == (b[k] >= 0) else a[k] < 0
        self.check_step_order(node, loop, p, k, x.shape[k])
        for e in a:
            if not (isinstance(e, slice) and e == slice(None)) and e is not a[k]:
                self.fail(node, "a per-step slice that also indexes other axes: %r" % (a,))
        return self.step_view(node, seq, k, rev)

    def check_step_order(self, node, loop, p, k, n):
        """The loop's steps index axis k one after another (t = 0, 1, ... or ..., 1, 0)."""
        ts = []
        for b in loop.blocks:
            i = b[p].args[1]
            i = (i if isinstance(i, tuple) else (i,))[k]
            ts.append(i % n if isinstance(i, int) else None)
        if ts != list(range(ts[0], ts[0] + len(ts))) and ts != list(range(ts[0], ts[0] - len(ts), -1)):
            self.fail(node, "the loop at %s visits the steps %s: seqrt's recurrences run over time forward "
                      "(for t in range(T)) or backward (for t in reversed(range(T)))" % (loop.where(), ts))

    # ---- loops
    def do_loop(self, loop):
        b0, rep = loop.blocks[0], loop.blocks[1]
        carried, counter0 = OrderedDict(), {}
        for pos, n in enumerate(rep):
            for v, v0 in zip(n.vals(), b0[pos].vals()):
                pl = loop.place(v)
                if pl is not None and pl[0] == 0:
                    carried.setdefault((pl[1], pl[2]), {"val0": v, "init": v0})
                elif pl is None and v is not v0:
                    counter0[v.id] = v0
        self.counter0.update(counter0)
        new = {s: rep[s[0]].outs[s[1]] for s in carried}
        cells = self.find_cells(loop, rep, carried, new)
        owner = {}
        for c in cells:
            for i in c.nodes:
                owner[i] = c
        self.cur = (loop, rep)
        try:
            for n in rep:
                self.at = n
                c = owner.get(n.index)
                if c is None:
                    self.env_set(n, self.convert(n))
                elif not getattr(c, "emitted", False):
                    self.emit_cell(n, loop, c, carried)
        finally:
            self.cur = None

    def find_cells(self, loop, rep, carried, new):
        val0 = {c["val0"].id: s for s, c in carried.items()}
        dep = {}
        for n in rep:
            d = any(v.id in val0 or dep.get(v.id, False) for v in n.vals())
            for o in n.outs:
                dep[o.id] = d
        where = loop.where()
        cells, taken = [], set()
        for n in rep:                                   # nn.LSTMCell / GRUCell / RNNCell calls
            if n.kind == "module" and type(n.module).__name__ in _CELL_MODULES:
                c = C.module_cell(n)
                c.x, c.module_name = n.args[0], n.module_name
                state = n.args[1] if len(n.args) > 1 else None
                hs = state if isinstance(state, tuple) else (state,)
                p = loop.pos[n.index][1]
                slots = [(p, i) for i in range(len(n.outs))]
                if any(s not in carried for s in slots) or any(
                        not isinstance(h, Val) or carried[s]["val0"] is not h for s, h in zip(slots, hs)):
                    self.refuse_mask(rep, n)
                    self.fail(n, "%s is called in the loop at %s without its own state of the step before"
                              % (n.module_name, where))
                c.h_slot, c.h_new = slots[0], n.outs[0]
                if c.kind == "lstm":
                    c.c_slot, c.c_new = slots[1], n.outs[1]
                c.nodes = {n.index}
                taken.update(slots)
                cells.append(c)
        rest = [s for s in carried if s not in taken]
        by_id = {n.index: n for n in rep}

        def reach(v, stop, acc, nodes):
            if v.id in val0:
                acc.add(val0[v.id])
                return
            if v.node is None or v.node.index not in by_id or v.id in stop or v.node.index in nodes:
                return
            nodes.add(v.node.index)
            for a in v.node.vals():
                reach(a, stop, acc, nodes)
        reaches = {}
        for s in rest:
            acc = set()
            reach(new[s], set(), acc, set())
            reaches[s] = acc
        groups = []
        for s in rest:
            g = sorted(t for t in rest if t in reaches[s] and s in reaches[t]) or [s]
            if s not in reaches[s]:
                self.fail(rep[s[0]], "a value carried from one step of the loop at %s to the next does not "
                          "depend on itself: seqrt's recurrences carry hidden (and cell) states" % where)
            if g not in groups:
                groups.append(g)
        hnew = {c.h_new.id for c in cells}
        for g in sorted(groups, key=lambda g: min(g)):
            other = set(hnew)

            def is_input(v, other=other, val0=val0):
                v = C.strip(v)
                return v.kind not in ("param", "const") and (v.id in other or not dep.get(v.id, v.id in val0))
            if len(g) == 2:
                a, b = g
                if C.strip(new[a]).node is not None and C.strip(new[a]).node.kind in C.ADD:
                    a, b = b, a
                leaves = {carried[a]["val0"].id: ("h", a), carried[b]["val0"].id: ("c", b)}
                m = C.Matcher(leaves, where, is_input)
                c = C.match_lstm(m, ("h", a), ("c", b), new[a], new[b], new[a].shape[-1], where)
                c.h_slot, c.c_slot, c.h_new, c.c_new = a, b, new[a], new[b]
            elif len(g) == 1:
                a = g[0]
                m = C.Matcher({carried[a]["val0"].id: ("h", a)}, where, is_input)
                top = C.strip(new[a]).node
                if top is not None and top.kind in C.ADD:
                    c = C.match_gru(m, ("h", a), new[a], new[a].shape[-1], where)
                else:
                    c = C.match_rnn(m, ("h", a), new[a], new[a].shape[-1], where)
                c.h_slot, c.h_new = a, new[a]
            else:
                self.fail(rep[g[0][0]], "the loop at %s carries %d mutually dependent states: seqrt's cells carry "
                          "one (GRU, RNN) or two (LSTM)" % (where, len(g)))
            c.x = m.x
            stop = {m.x.id} | other
            nodes = set()
            for s in g:
                reach(new[s], stop, set(), nodes)
            c.nodes = nodes
            cells.append(c)
            hnew.add(c.h_new.id)
        return cells

    def refuse_mask(self, rep, cell):
        """A torch.where (or masked_fill / lerp by a mask) choosing between the
        cell's new state and the old one: steps masked past each length."""
        outs = {v.id for v in cell.outs}
        for n in rep:
            if n.kind in ("where", "masked_fill", "masked_scatter") and any(v.id in outs for v in n.vals()):
                self.fail(n, "torch.%s keeps the state of %s past each sequence's length: the recorded path "
                          "has no form for a masked loop; write the recurrence as nn.%s over "
                          "nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False) (seqrt's lengths "
                          "slot, exported by torch.fx)" % (n.kind, cell.module_name, type(cell.module).__name__[:-4]))

    def emit_cell(self, node, loop, c, carried):
        c.emitted = True
        x = self.tensor(node, self.R(node, c.x), "the cell's input")
        if not x.step:
            self.fail(node, "the cell of the loop at %s reads the same input at every step" % loop.where())
        feat = [a for a in x.ax if a != ()]
        if len(feat) == 1 and () in x.ax and x.name in self.input_views and \
                len(self.input_views[x.name].sq) == 2 and c.input_size == 1:
            # a [B, T] input split into [B, 1] steps: seqrt's [B, T, 1] sequence
            self.input_views[x.name].sq.append("F")
            x = View(x.name, x.sq + ["F"], [a if a != () else ("F",) for a in x.ax], step=True, rev=x.rev)
            feat = [a for a in x.ax if a != ()]
        unbatched = len(feat) == 1 and len(feat[0]) == 1 and x.name in self.input_views and \
            len(self.input_views[x.name].sq) == 2 and () not in x.ax
        if unbatched:
            # unbatched vectors ([T, F] input, W @ x_t): seqrt's [T, 1, F]
            sq = self.input_views[x.name].sq
            sq.insert(1, "B")
            x = View(x.name, x.sq[:1] + ["B"] + x.sq[1:], x.ax, step=True, rev=x.rev)
        elif len(feat) != 2 or len(feat[-1]) != 1:
            self.fail(node, "a cell's per-step input must be [B, F] (or an unbatched [F])")
        self.labels.unify(feat[-1][0], "F", node.where)
        if not unbatched:
            self.labels.unify(feat[0][0], "B", node.where)
        else:
            self.set_bf(node, x)
        rev = x.rev
        rl = None
        for r in self.rlayers:
            if r.x.name == x.name and (not rev) in r.dirs and rev not in r.dirs and r.kind == c.kind and \
                    r.dirs[not rev].hidden_size == c.hidden_size and r.dirs[not rev].attrs == c.attrs:
                if r.used:
                    self.fail(node, "the reverse of %s is used before the reverse direction is computed"
                              % r.name)
                rl = r
                r.dirs[rev] = c
                break
        init = {k: carried[s]["init"] for k, s in (("h0", c.h_slot), ("c0", c.c_slot)) if s is not None}
        ins = OrderedDict([("x", x.name)])
        for k, v in init.items():
            n = self.state_input(node, self.ref(node, v), c.hidden_size, 1)
            if n is not None:
                if rl is not None:
                    self.fail(node, "a bidirectional layer folded from two loops takes zero initial states only")
                ins[k] = n
        if rl is None:
            base = getattr(c, "module_name", None) or c.kind
            L = OrderedDict([("op", c.kind), ("name", self.unique(base)), ("inputs", ins)])
            self.layers.append(L)
            rl = RLayer(L, c, x, rev)
            self.rlayers.append(rl)
        elif len(rl.layer["inputs"]) > 1:
            self.fail(node, "a bidirectional layer folded from two loops takes zero initial states only")
        step_ax = [a for a in x.ax if a != ()]
        step_ax[-1] = ("F",)
        self.env[c.h_new.id] = View(rl.name, x.sq[:-1] + ["F"], step_ax, layer=rl, part=("y", rev), step=True,
                                    rev=rev)
        st = [("B",), ("F",)] if not unbatched else [("F",)]
        self.finals[(id(loop),) + c.h_slot] = View(rl.name, ["L", "B", "F"], st, layer=rl, part=("h", rev))
        if c.c_slot is not None:
            self.finals[(id(loop),) + c.c_slot] = View(rl.name, ["L", "B", "F"], st, layer=rl, part=("c", rev))

    def finish_rlayer(self, rl):
        reverse_only = list(rl.dirs) == [True]
        c = rl.dirs[reverse_only]
        L = rl.layer
        L["input_size"], L["hidden_size"] = c.input_size, c.hidden_size
        if rl.bi:
            L["bidirectional"] = True
        if reverse_only:
            # a loop backwards over time alone: format 1.1's one reverse direction (plain weight names)
            L["direction"] = "reverse"
            self.version = 1.1
        for k, v in c.attrs.items():
            L[k] = v
        for rev, cell in rl.dirs.items():
            for k, w in cell.weights.items():
                self.weights["%s.%s_l0%s" % (rl.name, k, "_reverse" if rev and not reverse_only else "")] = \
                    np.asarray(w)

    def bi_concat(self, node, rs, dim):
        if len(rs) != 2 or not all(isinstance(r, View) and r.layer is not None for r in rs):
            return None
        f, b = rs
        if f.layer is not b.layer or f.part != ("y", False) or b.part != ("y", True) or not f.layer.bi:
            return None
        lf = [self.labels.get(l) for a in f.ax for l in a]
        lb = [self.labels.get(l) for a in b.ax for l in a]
        if lf != lb or "T~" in lf:
            self.fail(node, "torch.cat of the two directions of %s: flip the backward outputs back to time order "
                      "first (torch.flip(..., [time axis]))" % f.layer.name)
        if self.labels.get(f.ax[dim][0]) != "F":
            self.fail(node, "the two directions of %s joined over an axis that is not the features" % f.layer.name)
        f.layer.used = True
        return View(f.layer.name, f.sq, f.ax)

    def collect(self, node, xs, dim, stack):
        """torch.stack / torch.cat of one loop value over every step: a sequence View."""
        if not isinstance(xs, (list, tuple)) or not xs or not all(isinstance(v, Val) for v in xs):
            return None
        loop = self.loop_of.get(xs[0].node.index) if xs[0].node is not None else None
        if loop is None:
            return None
        places = [loop.place(v) if v.node is not None and v.node.index in loop.pos else None for v in xs]
        if any(p is None for p in places) or len({p[1:] for p in places}) != 1 or len(xs) != loop.reps:
            return None
        ts = [p[0] for p in places]
        desc = ts == list(range(loop.reps))[::-1]
        if ts != list(range(loop.reps)) and not desc:
            self.fail(node, "collects the steps of the loop at %s out of order" % loop.where())
        p, o = places[0][1:]
        r = self.env.get(loop.blocks[1][p].outs[o].id)
        if not isinstance(r, View) or not r.step:
            self.fail(node, "collects a value of the loop at %s that is not computed from its per-step input"
                      % loop.where())
        lab = "T~" if (r.rev != desc) else "T"
        ax = list(r.ax)
        d = dim % (len(ax) + (1 if stack else 0))
        if stack:
            ax.insert(d, (lab,))
        else:
            ax[d] = (lab,) + ax[d]
        return View(r.name, r.sq, ax, layer=r.layer, part=r.part)

    # ---- the end
    def prune(self, outputs):
        need = {o.split(":")[0] for o in outputs}
        keep = []
        for L in reversed(self.layers):
            if L["name"] in need:
                keep.append(L)
                for v in L["inputs"].values():
                    for n in (v if isinstance(v, list) else [v]):
                        need.add(n.split(":")[0])
        names = {L["name"] for L in keep}
        self.layers = keep[::-1]
        self.weights = OrderedDict((k, v) for k, v in self.weights.items() if k.split(".")[0] in names or
                                   any(k.startswith(n + ".") for n in names))
        self.used_inputs = [n for n in self.input_views if n in need]

    def decls(self):
        """input name -> (dtype, shape, sq labels, torch ax labels)."""
        out = OrderedDict()
        steps = {}
        for name in self.used_inputs:
            v = self.labels.view(self.input_views[name])
            for d, a in enumerate(v.ax):
                if a == ("T",):
                    steps[name] = self.input_vals[name].shape[d]
        # a decoder's own step (T = 1) beside a longer sequence (its encoder's outputs): one step, declared 1
        one_step = {n for n, t in steps.items() if t == 1 and max(steps.values()) > 1}
        for name in self.used_inputs:
            v = self.labels.view(self.input_views[name])
            ex = self.input_vals[name]
            sizes = {}
            for d, a in enumerate(v.ax):
                sizes[a[0]] = ex.shape[d]
            shape = []
            present = {self.labels.get(l) for a in v.ax for l in a}
            for l in v.sq:
                if l == "B" and "B" not in present:
                    shape.append(1)             # unbatched: one sequence
                elif l == "T" and name in one_step:
                    shape.append(1)
                elif l in ("T", "B"):
                    shape.append(l)
                elif l.startswith("?"):
                    raise ExportError("input '%s': cannot tell what axis %s is (time, batch or features)"
                                      % (name, v.sq.index(l)))
                else:
                    shape.append(int(sizes.get(l, 1)))
            dtype = "int32" if not ex.dtype.is_floating_point else "float32"
            out[name] = (dtype, shape, v.sq, v.ax)
        return out

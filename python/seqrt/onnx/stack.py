"""Stacked RNNs as torch.onnx.export writes a multi-layer nn.LSTM / GRU /
RNN given initial states: one node per layer, each taking its share of the
graph input h0 [L*D, B, H] through a Slice along axis 0, the next layer's X
the previous one's Y, and the layers' Y_h (Y_c) joined by a Concat along
axis 0. Those nodes become one seqrt layer with num_layers = L that takes
the whole h0 / c0: seqrt has no slice of a value, and its states are
[L*D, B, H] like PyTorch's.

Forms of _V used here: ("Slice", start, end) a graph input's rows
[start, end) along axis 0; ("Part", layer, k) layer k's Y_h / Y_c of the
stacked layer `layer`, only for the Concat that joins them all."""

import numpy as np

from .values import _V


class _Gone:
    """A value of a layer that a later node folded into a stack (the inner
    layers' Y): nothing else may use it."""

    def __init__(self, layer):
        self.layer = layer


class _StackOps:
    """Mixin of _Converter: Slice of an initial state, stacking, the Concat
    of the layers' states."""

    def state_slice(self, node, a):
        """Slice of a graph input along axis 0 with constant bounds (a
        layer's share of a stacked initial state)."""
        r = self.get(node, 0)
        why = ("Slice of computed values has no seqrt op (only a stacked RNN's initial state, a graph input, "
               "sliced along axis 0 per layer)")
        if not (isinstance(r, _V) and r.form is None and not r.swap and r.name in self.inputs):
            self.err(node, why)
        vals = []
        for i, dflt in ((1, None), (2, None), (3, [0]), (4, [1])):
            c = self.get(node, i) if i < len(node.input) else None
            v = dflt if c is None else [int(x) for x in np.asarray(getattr(c, "value", None)).reshape(-1)]
            if v is None or len(v) != 1:
                self.err(node, why)
            vals.append(v[0])
        start, end, axis, step = vals
        rank = len(self.inputs[r.name][1])
        if axis % max(rank, 1) != 0 or step != 1 or start < 0 or end <= start:
            self.err(node, why)
        return _V(r.name, ("Slice", start, end), None)

    def stack_start(self, node, states, D, layout):
        """For states [h0, c0] (None where absent): (the first row of this
        node's slice or None, states with each slice replaced by its whole
        graph input)."""
        sl = [r for r in states if isinstance(r, _V) and r.form and r.form[0] == "Slice"]
        if not sl:
            return None, states
        starts = {r.form[1] for r in sl}
        if len(starts) != 1 or any(r.form[2] - r.form[1] != D for r in sl):
            self.err(node, "the initial states are slices %s of graph inputs: a stacked layer takes %d row(s) of "
                     "each, the same ones" % ([r.form[1:] for r in sl], D))
        if layout:
            self.err(node, "a stacked RNN (initial states sliced per layer) under layout 1")
        return starts.pop(), [_V(r.name) if r in sl else r for r in states]

    def stack_outputs(self, name, k, lstm):
        return [_V(name + ":h_n", ("Part", name, k), name)] + \
            ([_V(name + ":c_n", ("Part", name, k), name)] if lstm else [])

    def stack_add(self, node, start, x, ins, attrs, w, D):
        """Folds this node (rows [start, start + D) of the states) into the
        stacked layer its X comes from: the layer's name."""
        name = x.layer if isinstance(x, _V) and x.form is None else None
        st = self.stacks.get(name)
        if st is None or st["n"] * D != start:
            self.err(node, "its initial states start at row %d of a stacked state, but its X is not the Y of the "
                     "layer before it in that stack" % start)
        L = st["layer"]
        keep = dict((k, v) for k, v in attrs.items() if k != "input_size")
        if keep != st["attrs"] or {k: v for k, v in ins.items() if k != "x"} != st["ins"] or \
                L["op"] != st["op"]:
            self.err(node, "stacked onto layer '%s', but its attributes or inputs differ from that layer's "
                     "(seqrt's num_layers shares them)" % name)
        k = st["n"]
        for key, v in w.items():
            self.weights["%s.%s" % (name, key.replace("_l0", "_l%d" % k))] = np.asarray(v, dtype=np.float32)
        st["n"] = k + 1
        L["num_layers"] = k + 1
        for key, r in list(self.env.items()):   # the inner layers' Y
            if isinstance(r, _V) and r.name == name:
                self.env[key] = _Gone(name)
        return name, k

    def stack_new(self, node, name, ins, attrs, op):
        self.stacks[name] = {"n": 1, "layer": self.layers[-1], "op": op,
                             "attrs": dict((k, v) for k, v in attrs.items() if k != "input_size"),
                             "ins": {k: v for k, v in ins.items() if k != "x"}, "node": node}

    def stack_concat(self, node, a):
        """A Concat of every layer's Y_h (Y_c) of one stack, in order: the
        stacked layer's h_n (c_n); None when the inputs are not that."""
        rs = [self.get(node, i) for i in range(len(node.input))]
        parts = [r for r in rs if isinstance(r, _V) and r.form and r.form[0] == "Part"]
        if not parts:
            return None
        name = parts[0].form[1]
        if len(parts) != len(rs) or any(r.form[1] != name or r.name != parts[0].name or r.form[2] != k
                                        for k, r in enumerate(rs)) or int(a.get("axis", 0)) % 3 != 0:
            self.err(node, "a Concat of the states of stacked layers must join every layer's, in order, along "
                     "axis 0")
        self.stack_claims.append((node, name, len(rs)))
        return _V(parts[0].name, None, name)

    def stack_check(self):
        """After the walk: every stack covers its state inputs' rows, and
        each Concat of its states joined all of its layers."""
        for name, st in self.stacks.items():
            D = 2 if st["attrs"].get("bidirectional") else 1
            for src in st["ins"].values():
                shp = self.inputs.get(src, [None, []])[1]
                if src in self.inputs and shp and isinstance(shp[0], int) and shp[0] != st["n"] * D:
                    self.err(st["node"], "the stacked layer '%s' has %d layer(s) of %d direction(s), but its "
                             "initial state '%s' has %d rows" % (name, st["n"], D, src, shp[0]))
        for node, name, n in self.stack_claims:
            if self.stacks[name]["n"] != n:
                self.err(node, "joins %d of the %d stacked layers' states" % (n, self.stacks[name]["n"]))

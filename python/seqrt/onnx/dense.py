"""Gemm, MatMul (a constant weight -> linear), Add / Mul (of two values, or a
bias folded into a linear), Gather (embedding or select)."""

from collections import OrderedDict

import numpy as np

from .values import _C, _Shape, _V


class _DenseOps:
    """Mixin of _Converter: the dense ops."""

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

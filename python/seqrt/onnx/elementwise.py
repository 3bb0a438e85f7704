"""Activations, Softmax / LogSoftmax, Identity, Dropout, Cast, Concat."""

from .values import ACT_OPS, _C, _V


class _ElementwiseOps:
    """Mixin of _Converter: per-element and per-step ops."""

    def act(self, node, a):
        x = self.value(node, 0, "X", swap_ok=True)
        return _V(self.layer(node, "activation", {"x": x.name}, {"function": ACT_OPS[node.op_type]}), swap=x.swap)

    op_Relu = op_Tanh = op_Sigmoid = act

    def op_Gelu(self, node, a):
        if a.get("approximate", "none") != "none":
            self.err(node, "approximate=tanh: seqrt's gelu is the erf form")
        return self.act(node, a)

    def softmax(self, node, a, op):
        x = self.value(node, 0, "input", swap_ok=True)
        rank = len(self.shapes.get(node.input[0], [])) or None
        if self.opset >= 13:
            axis = int(a.get("axis", -1))
        else:
            axis = int(a.get("axis", 1))
            if rank is None or axis % rank != rank - 1:
                self.err(node, "opset %d %s flattens the input to 2-D around axis %d; seqrt's matches only when "
                         "that is the last axis" % (self.opset, node.op_type, axis))
        if x.swap and (rank is None and axis != -1 or rank is not None and axis % rank != rank - 1):
            self.err(node, "%s along axis %d of a transposed sequence" % (node.op_type, axis))
        attrs = {"axis": axis} if ("axis" in a or self.opset < 13) else {}
        return _V(self.layer(node, op, {"x": x.name}, attrs), swap=x.swap)

    def op_Softmax(self, node, a):
        return self.softmax(node, a, "softmax")

    def op_LogSoftmax(self, node, a):
        return self.softmax(node, a, "log_softmax")

    def op_Identity(self, node, a):
        return self.get(node, 0)

    def op_Dropout(self, node, a):
        r = self.get(node, 0)
        if len(node.output) > 1 and node.output[1]:
            self.err(node, "the mask output is not supported")
        return r

    def op_Cast(self, node, a):
        r = self.get(node, 0)
        if isinstance(r, _C):
            return r
        if int(a.get("to", 1)) in (1, 6, 7, 11):
            return r
        self.err(node, "Cast to element type %s is not supported" % a.get("to"))

    def op_Concat(self, node, a):
        r = self._shape_like(node, a)
        if r is None:
            r = self.stack_concat(node, a)   # the states of a stacked RNN's layers (stack.py)
        if r is not None:
            return r
        vs = [self.value(node, i, "input %d" % i, swap_ok=True) for i in range(len(node.input))]
        axis = int(a.get("axis", 0))
        swap = self.same_swap(node, vs)
        if swap:
            rank = len(self.shapes.get(node.input[0], [])) or 3
            if axis % rank != rank - 1:
                self.err(node, "Concat along axis %d of transposed sequences" % axis)
        return _V(self.layer(node, "concat", {"x": [v.name for v in vs]}, {"axis": axis}), swap=swap)

    def same_swap(self, node, vs):
        if len({v.swap for v in vs}) > 1:
            self.err(node, "its inputs are sequences in different layouts ([T, B, F] and [B, T, F])")
        return vs[0].swap if vs else False

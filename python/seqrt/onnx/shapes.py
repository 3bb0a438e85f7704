"""Shape-only subgraphs (PyTorch's exporter builds zero initial states from
shapes) and Constant."""

import numpy as np

from .values import _C, _Shape


class _ShapeOps:
    """Mixin of _Converter: Shape, ConstantOfShape, Expand, Unsqueeze, Slice,
    Constant."""

    def op_Shape(self, node, a):
        return _Shape()

    def _shape_like(self, node, a):
        """Shape-only values stay shape-only; zeros stay zeros through Slice,
        Unsqueeze, Squeeze."""
        ins = [self.get(node, i) for i in range(len(node.input))]
        if ins and all(isinstance(r, (_Shape, _C)) or r is None for r in ins) and \
                any(isinstance(r, _Shape) for r in ins):
            return _Shape(zeros=isinstance(ins[0], _Shape) and ins[0].zeros and
                          node.op_type in ("Slice", "Unsqueeze", "Squeeze"))
        return None

    def op_ConstantOfShape(self, node, a):
        v = a.get("value")
        val = 0.0 if v is None else float(self.nh.to_array(v).reshape(-1)[0])
        src = self.get(node, 0)
        if isinstance(src, _C):
            return _C(np.full([int(x) for x in src.value.reshape(-1)], val, dtype=np.float32))
        return _Shape(zeros=(val == 0.0))

    def op_Expand(self, node, a):
        r = self.get(node, 0)
        if isinstance(r, (_C, _Shape)) and (isinstance(r, _Shape) and r.zeros or
                                            isinstance(r, _C) and not np.any(r.value)):
            return _Shape(zeros=True)
        self.err(node, "Expand is only supported to build zero initial states")

    def _passthrough_shape(self, node, a):
        r = self._shape_like(node, a)
        if r is not None:
            return r
        self.err(node, "%s on computed values has no seqrt op" % node.op_type)

    def op_Unsqueeze(self, node, a):
        return self._passthrough_shape(node, a)

    def op_Slice(self, node, a):
        r = self._shape_like(node, a)
        if r is not None:
            return r
        return self.state_slice(node, a)   # a stacked RNN's initial state (stack.py)

    def op_Constant(self, node, a):
        if "value" in a:
            return _C(self.nh.to_array(a["value"]))
        for k in ("value_float", "value_int"):
            if k in a:
                return _C(np.array(a[k]))
        for k in ("value_floats", "value_ints"):
            if k in a:
                return _C(np.array(a[k]))
        self.err(node, "Constant with attribute %s is not supported" % list(a))

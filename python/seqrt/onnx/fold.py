"""Constant folding: ops whose inputs are all constants are evaluated with
NumPy (PyTorch's exporter slices and concatenates its LSTM weights)."""

import numpy as np

from .values import _C


class _FoldOps:
    """Mixin of _Converter: fold()."""

    def fold(self, node, a, x):
        op = node.op_type
        try:
            if op == "Concat":
                return _C(np.concatenate([v for v in x if v is not None], axis=int(a.get("axis", 0))))
            if op == "Slice":
                if self.opset < 10:
                    starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
                else:
                    starts, ends = x[1], x[2]
                    axes = x[3] if len(x) > 3 else None
                    steps = x[4] if len(x) > 4 else None
                v = x[0]
                axes = list(range(len(starts))) if axes is None else [int(k) for k in np.reshape(axes, -1)]
                steps = [1] * len(axes) if steps is None else [int(k) for k in np.reshape(steps, -1)]
                idx = [slice(None)] * v.ndim
                for ax, b, e, st in zip(axes, np.reshape(starts, -1), np.reshape(ends, -1), steps):
                    b, e = int(b), int(e)
                    n = v.shape[ax]
                    b = max(min(b + n if b < 0 else b, n), 0) if st > 0 else max(min(b + n if b < 0 else b, n - 1), -1)
                    e = max(min(e + n if e < 0 else e, n), 0) if st > 0 else max(min(e + n if e < 0 else e, n), -1)
                    idx[ax] = slice(b, e if e >= 0 else None, st)
                return _C(v[tuple(idx)])
            if op in ("Unsqueeze", "Squeeze"):
                axes = a.get("axes")
                if axes is None and len(x) > 1 and x[1] is not None:
                    axes = [int(k) for k in np.reshape(x[1], -1)]
                v = x[0]
                if op == "Squeeze":
                    return _C(np.squeeze(v, axis=None if axes is None else tuple(k % v.ndim for k in axes)))
                r = v.ndim + len(axes)
                for k in sorted(k % r for k in axes):
                    v = np.expand_dims(v, k)
                return _C(v)
            if op == "Transpose":
                return _C(np.transpose(x[0], a.get("perm")))
            if op == "Reshape":
                shape = [int(k) for k in np.reshape(x[1], -1)]
                shape = [x[0].shape[i] if k == 0 else k for i, k in enumerate(shape)]
                return _C(x[0].reshape(shape))
            if op == "Gather":
                return _C(np.take(x[0], x[1], axis=int(a.get("axis", 0))))
            if op in ("Add", "Sub", "Mul", "Div"):
                f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
                return _C(f(x[0], x[1]))
            if op == "Shape":
                return _C(np.array(x[0].shape, dtype=np.int64))
            if op in ("Identity", "Cast", "Dropout"):
                return _C(x[0])
            if op == "ConstantOfShape":
                return self.op_ConstantOfShape(node, a)
            if op == "MatMul":
                return _C(np.matmul(x[0], x[1]))
        except (ValueError, IndexError, KeyError, TypeError) as e:
            self.err(node, "cannot evaluate on constants: %s" % e)
        self.err(node, "%s of constants is not supported" % op)

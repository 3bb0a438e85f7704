"""The ONNX ops of the graph interpreter (torchgraph.py), one row per op.

Each row is Op(tensor, const): `tensor(g, node, a, x)` runs the node with
the plain PyTorch call a user would have written (x @ W, F.linear,
x[:, t], x.chunk(4, 1), torch.sum(x, dim=2), 1 - f, ...), so that the
recording tracer (seqrt.export.record) sees that code; `const(a, x)`
evaluates the node with NumPy when every input is a constant (shape
arithmetic: Shape, Gather, Concat, Unsqueeze, Equal, Where on the real
sizes at run time, so the module runs at other batch sizes). x holds the
inputs: tensors, NumPy arrays (constants), None (omitted) or an RNN's
lazy Y (torchgraph.LazyY). `g` is the interpreter (g.t(v): a tensor,
g.num(v): a Python number or None, g.fail(msg), g.param_of(name))."""

import numpy as np
import torch
import torch.nn.functional as F


class Op:
    def __init__(self, tensor=None, const=None):
        self.tensor, self.const = tensor, const


def _ints(v):
    return [int(k) for k in np.reshape(np.asarray(v), -1)]


def _axes(a, x, i):
    """The axes of a node: attribute `axes` (older opsets) or input i."""
    if "axes" in a:
        return list(a["axes"])
    if len(x) > i and x[i] is not None:
        return _ints(x[i])
    return None


# ---- elementwise
def _binary(fn):
    def run(g, node, a, x):
        p, q = g.num(x[0]), g.num(x[1])
        if q is not None:           # a Python number on the right: x + 2, x / c
            return fn(g.t(x[0]), q)
        if p is not None:           # on the left: 1 - f is rsub
            return fn(p, g.t(x[1]))
        return fn(g.t(x[0]), g.t(x[1]))
    return run


def _unary(fn):
    return lambda g, node, a, x: fn(g.t(x[0]))


# ---- matrix products
def _matmul(g, node, a, x):
    A, B = g.t(x[0]), g.t(x[1])
    lin = g.linears.get(node.output[0])
    if lin is not None and A.dim() == 3:      # nn.Linear on a sequence
        g.ran_linear.add(node.output[0])
        return lin(A)
    if A.dim() == 3 and B.dim() == 3 and not g.is_param(x[0]) and not g.is_param(x[1]):
        return torch.bmm(A, B)
    return A @ B


def _gemm(g, node, a, x):
    lin = g.linears.get(node.output[0])
    if lin is not None:
        return lin(g.t(x[0]))
    A, B = g.t(x[0]), g.t(x[1])
    C = None if len(x) < 3 or x[2] is None else g.t(x[2])
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))
    if a.get("transA", 0):
        A = A.t()
    if a.get("transB", 0) and alpha == 1.0 and beta == 1.0:
        return F.linear(A, B, C)           # nn.Linear's own form
    y = A @ (B.t() if a.get("transB", 0) else B)
    if alpha != 1.0:
        y = y * alpha
    if C is not None:
        y = y + (C if beta == 1.0 else C * beta)
    return y


# ---- indexing
def _gather(g, node, a, x):
    axis = int(a.get("axis", 0))
    if g.is_param(x[0]) and axis == 0 and torch.is_tensor(x[1]):
        return g.embedding_of(node, x[0])(x[1])
    if isinstance(x[1], np.ndarray):
        idx = np.asarray(x[1])
        t = g.t(x[0])
        pick = int(idx) if idx.ndim == 0 else [int(k) for k in idx.reshape(-1)]
        return t[(slice(None),) * (axis % t.dim()) + (pick,)]
    g.fail("Gather of a computed table by computed indices (only a weight table by ids, or constant indices)")


def _slice_args(a, x):
    starts, ends = _ints(x[1]), _ints(x[2])
    axes = _ints(x[3]) if len(x) > 3 and x[3] is not None else list(range(len(starts)))
    steps = _ints(x[4]) if len(x) > 4 and x[4] is not None else [1] * len(starts)
    return starts, ends, axes, steps


def _clamp(v, n):
    return max(-n - 1, min(n, v))          # ONNX's huge ends as Python slice ends


def _slice(g, node, a, x):
    t = g.t(x[0])
    idx = [slice(None)] * t.dim()
    flips = []
    for s, e, ax, st in zip(*_slice_args(a, x)):
        ax %= t.dim()
        n = t.shape[ax]
        if st == -1 and s in (-1, n - 1) and e <= -n - 1:
            flips.append(ax)                # torch.flip(x, [axis])
        else:
            if st < 0:
                g.fail("Slice with step %d other than a whole-axis flip" % st)
            idx[ax] = slice(_clamp(s, n), _clamp(e, n), st)
    if flips:
        t = torch.flip(t, flips)
    return t[tuple(idx)] if any(i != slice(None) for i in idx) else t


def _np_slice(a, x):
    v = x[0]
    idx = [slice(None)] * v.ndim
    for s, e, ax, st in zip(*_slice_args(a, x)):
        n = v.shape[ax]
        idx[ax] = slice(_clamp(s, n), None if st < 0 and e < -n else _clamp(e, n), st)
    return v[tuple(idx)]


def _split(g, node, a, x):
    t = g.t(x[0])
    axis = int(a.get("axis", 0))
    n = len(node.output)
    if node.output[0] in g.unbind:            # `for x in inputs`: each piece squeezed
        return list(t.unbind(axis))
    sizes = list(a["split"]) if "split" in a else (_ints(x[1]) if len(x) > 1 and x[1] is not None else None)
    if sizes is None or (len(set(sizes)) == 1 and sizes[0] * n == t.shape[axis]):
        return list(t.chunk(n, axis))
    return list(torch.split(t, sizes, axis))


# ---- layout
def _transpose(g, node, a, x):
    t = g.t(x[0])
    perm = list(a.get("perm", reversed(range(t.dim()))))
    moved = [i for i, p in enumerate(perm) if p != i]
    if len(moved) == 2:
        return t.transpose(moved[0], moved[1])
    return t.permute(*perm)


def _squeeze(g, node, a, x):
    t = g.t(x[0])
    axes = _axes(a, x, 1)
    if axes is None:
        return t.squeeze()
    for k in sorted((k % t.dim() for k in axes), reverse=True):
        t = t.squeeze(k)
    return t


def _np_squeeze(a, x):
    axes = _axes(a, x, 1)
    return np.squeeze(x[0], axis=None if axes is None else tuple(k % x[0].ndim for k in axes))


def _unsqueeze(g, node, a, x):
    t = g.t(x[0])
    axes = _axes(a, x, 1)
    r = t.dim() + len(axes)
    for k in sorted(k % r for k in axes):
        t = t.unsqueeze(k)
    return t


def _np_unsqueeze(a, x):
    v = x[0]
    axes = _axes(a, x, 1)
    r = v.ndim + len(axes)
    for k in sorted(k % r for k in axes):
        v = np.expand_dims(v, k)
    return v


def reshape_target(shape, target):
    """ONNX Reshape's target with its 0s (copy the input's size) resolved."""
    return [int(shape[i]) if k == 0 else k for i, k in enumerate(_ints(target))]


def _reshape(g, node, a, x):
    t = g.t(x[0])
    return t.reshape(*reshape_target(t.shape, x[1]))


def _expand(g, node, a, x):
    t = g.t(x[0])
    out = np.broadcast_shapes(tuple(t.shape), tuple(_ints(x[1])))
    return t.expand(*out)


# ---- reductions, softmax
def _reduce(fn):
    def run(g, node, a, x):
        t = g.t(x[0])
        axes = _axes(a, x, 1)
        keep = bool(a.get("keepdims", 1))
        if axes is None:
            axes = list(range(t.dim()))
        dim = axes[0] if len(axes) == 1 else tuple(axes)
        return fn(t, dim=dim, keepdim=keep) if keep else fn(t, dim=dim)
    return run


def _softmax(fn):
    def run(g, node, a, x):
        t = g.t(x[0])
        if g.opset < 13 and t.dim() != 2 and int(a.get("axis", 1)) % t.dim() != t.dim() - 1:
            g.fail("opset %d's %s over the axes from %s on (coerced to 2-D) has no PyTorch call"
                   % (g.opset, node.op_type, a.get("axis", 1)))
        return fn(t, dim=int(a.get("axis", -1 if g.opset >= 13 else 1)))
    return run


# ---- casts, one-hot
_CAST = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 11: torch.float64}
_NP_CAST = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}
_CAST_METHOD = {torch.float32: "float", torch.int64: "long", torch.int32: "int", torch.bool: "bool",
                torch.float64: "double"}


def _cast(g, node, a, x):
    to = int(a["to"])
    if to not in _CAST:
        g.fail("Cast to element type %d" % to)
    t = g.t(x[0])
    return t if t.dtype == _CAST[to] else getattr(t, _CAST_METHOD[_CAST[to]])()


def _one_hot(g, node, a, x):
    depth, values = g.num(x[1]), np.reshape(x[2], -1)
    if depth is None or int(a.get("axis", -1)) != -1 or list(values) != [0, 1]:
        g.fail("OneHot other than F.one_hot(ids, depth) (axis -1, values [0, 1])")
    out = F.one_hot(g.t(x[0]).long(), int(depth))
    return out.float() if values.dtype.kind == "f" else out


def _constant(a):
    from onnx import numpy_helper
    if "value" in a:
        return numpy_helper.to_array(a["value"])
    for k, kind in (("value_float", np.float32), ("value_int", np.int64), ("value_floats", np.float32),
                    ("value_ints", np.int64)):
        if k in a:
            return np.asarray(a[k], dtype=kind)
    raise ValueError("a Constant without a value")


def _constant_of_shape(a, x):
    from onnx import numpy_helper
    v = numpy_helper.to_array(a["value"]).reshape(-1) if "value" in a else np.zeros(1, np.float32)
    return np.full(_ints(x[0]), v[0], dtype=v.dtype)


def _np_expand(a, x):
    out = np.broadcast_shapes(x[0].shape, tuple(_ints(x[1])))
    return np.broadcast_to(x[0], out).copy()


def _np_gather(a, x):
    return np.take(x[0], x[1], axis=int(a.get("axis", 0)))


def _np_reshape(a, x):
    return x[0].reshape(reshape_target(x[0].shape, x[1]))


def _identity(g, node, a, x):
    return g.t(x[0])


OPS = {
    "Add": Op(_binary(lambda p, q: p + q), lambda a, x: x[0] + x[1]),
    "Sub": Op(_binary(lambda p, q: p - q), lambda a, x: x[0] - x[1]),
    "Mul": Op(_binary(lambda p, q: p * q), lambda a, x: x[0] * x[1]),
    "Div": Op(_binary(lambda p, q: p / q), lambda a, x: x[0] // x[1] if x[0].dtype.kind == "i" else x[0] / x[1]),
    "Neg": Op(_unary(lambda t: -t), lambda a, x: -x[0]),
    "Sqrt": Op(_unary(torch.sqrt), lambda a, x: np.sqrt(x[0])),
    "Sigmoid": Op(_unary(torch.sigmoid)),
    "Tanh": Op(_unary(torch.tanh)),
    "Relu": Op(_unary(torch.relu)),
    "MatMul": Op(_matmul, lambda a, x: np.matmul(x[0], x[1])),
    "Gemm": Op(_gemm),
    "Gather": Op(_gather, _np_gather),
    "Slice": Op(_slice, _np_slice),
    "Split": Op(_split),
    "Concat": Op(lambda g, node, a, x: torch.cat([g.t(v) for v in x if v is not None], dim=int(a["axis"])),
                 lambda a, x: np.concatenate([v for v in x if v is not None], axis=int(a["axis"]))),
    "Transpose": Op(_transpose, lambda a, x: np.transpose(x[0], a.get("perm"))),
    "Squeeze": Op(_squeeze, _np_squeeze),
    "Unsqueeze": Op(_unsqueeze, _np_unsqueeze),
    "Reshape": Op(_reshape, _np_reshape),
    "Expand": Op(_expand, _np_expand),
    "Softmax": Op(_softmax(F.softmax)),
    "LogSoftmax": Op(_softmax(F.log_softmax)),
    "ReduceSum": Op(_reduce(torch.sum), lambda a, x: np.sum(x[0], axis=tuple(_axes(a, x, 1) or range(x[0].ndim)),
                                                             keepdims=bool(a.get("keepdims", 1)))),
    "ReduceMean": Op(_reduce(torch.mean)),
    "OneHot": Op(_one_hot),
    "Cast": Op(_cast, lambda a, x: x[0].astype(_NP_CAST[int(a["to"])])),
    "Identity": Op(_identity, lambda a, x: x[0]),
    "Dropout": Op(_identity, lambda a, x: x[0]),
    "Shape": Op(lambda g, node, a, x: np.array(g.t(x[0]).shape, dtype=np.int64),
                lambda a, x: np.array(x[0].shape, dtype=np.int64)),
    "ConstantOfShape": Op(None, _constant_of_shape),
    "Equal": Op(None, lambda a, x: np.equal(x[0], x[1])),
    "Where": Op(None, lambda a, x: np.where(x[0], x[1], x[2])),
    "Range": Op(None, lambda a, x: np.arange(x[0], x[1], x[2])),
}

"""What the converter binds ONNX tensor names to (_V a seqrt value, _C a
constant, _Shape a shape-only value), ConvertError, and the op tables."""

import re

import numpy as np


class ConvertError(Exception):
    """The ONNX model has a part seqrt cannot run."""


ACT_OPS = {"Relu": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Gelu": "gelu"}
ELEM = {1: "float32", 6: "int32", 7: "int64"}
# ops evaluated with NumPy when every input is a constant
FOLD = {"Concat", "Slice", "Unsqueeze", "Squeeze", "Transpose", "Reshape", "Gather", "Add", "Sub", "Mul",
        "Div", "Shape", "Identity", "Cast", "Dropout", "ConstantOfShape", "MatMul"}


def _ident(name, fallback):
    s = re.sub(r"[^A-Za-z0-9_.]", "_", name or "").strip("._")
    s = re.sub(r"_+", "_", s)
    if not s or not (s[0].isalpha() or s[0] == "_"):
        s = fallback + ("_" + s if s else "")
    return s


class _V:
    """An ONNX tensor that is a seqrt value. form: None (same layout), or
    ("Y", D, H, layout) for an RNN's Y ([T, D, B, H] / [B, T, D, H] in ONNX,
    [T, B, D*H] / [B, T, D*H] in seqrt), ("Yt", D, H) for Y transposed to
    [T, B, D, H], ("S",) for a state under layout 1 (ONNX [B, D, H], seqrt
    [D, B, H]). swap: the ONNX tensor is the seqrt value with its first two
    axes exchanged (PyTorch's exporter transposes batch_first sequences to
    [T, B, F] around each RNN; seqrt keeps them [B, T, F])."""

    def __init__(self, name, form=None, layer=None, swap=False):
        self.name, self.form, self.layer, self.swap = name, form, layer, swap


class _C:
    """A constant (initializer, Constant node, frozen input)."""

    def __init__(self, value):
        self.value = np.asarray(value)


class _Shape:
    """A value computed from shapes only (Shape, ConstantOfShape, ...): its
    numbers are unknown, but zeros stay zeros."""

    def __init__(self, zeros=False):
        self.zeros = zeros

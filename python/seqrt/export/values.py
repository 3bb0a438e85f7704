"""What the converter's walk binds graph nodes to, and the tables of
PyTorch functions, methods and modules it maps onto seqrt ops."""

import torch
import torch.nn as nn
import torch.nn.functional as F

class _T:
    """A seqrt value (tensor)."""

    def __init__(self, name, ids=False):
        self.name, self.ids = name, ids


class _Packed:
    def __init__(self, value, lengths):
        self.value, self.lengths = value, lengths


class _LenMask:
    def __init__(self, lengths):
        self.lengths = lengths


class _Causal:
    pass


class _Shape:
    """A size taken from a tensor (x.shape, x.size(0)): only useful as
    pad_packed_sequence's total_length, which seqrt always equals T."""


def _fn_name(target):
    return getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or str(target)


_ACT_FUNCS = {F.relu: "relu", torch.relu: "relu", torch.tanh: "tanh", F.tanh: "tanh",
              torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", F.gelu: "gelu"}
_ACT_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
_ACT_MODULES = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.GELU: "gelu"}
_CAT_FUNCS = tuple(f for f in (torch.cat, getattr(torch, "concat", None)) if f is not None)
_IDENTITY_METHODS = ("float", "long", "int", "contiguous", "detach", "to", "type_as", "clone")


class _Unsupported:
    def __init__(self, what):
        self.what = what

"""A golden case, and the helpers the case lists build it with: the
description's inputs and layers, per-case seeds, random data and lengths."""

import zlib
from collections import OrderedDict

import numpy as np

DEFAULT_ATOL = 1e-4
DEFAULT_RTOL = 1e-3


class Case:
    """One golden case. `check` = (atol, rtol) that the float64 evaluation of
    the written files must meet against `expected` (tighter than the case's
    own tolerance)."""

    def __init__(self, name, source, description, model, weights, inputs, expected,
                 atol=DEFAULT_ATOL, rtol=DEFAULT_RTOL, tolerance_note=None, check=(2e-6, 2e-6)):
        self.name = name
        self.source = source
        self.description = description
        self.model = model
        self.weights = weights
        self.inputs = inputs
        self.expected = expected
        self.atol = atol
        self.rtol = rtol
        self.tolerance_note = tolerance_note
        self.check = check


def inp(name, dtype, shape):
    return OrderedDict([("name", name), ("dtype", dtype), ("shape", list(shape))])


def lay(op, name, inputs, **attrs):
    d = OrderedDict([("op", op), ("name", name), ("inputs", OrderedDict(inputs))])
    for k, v in attrs.items():
        d[k] = v
    return d


def desc(name, inputs, layers, outputs, batch_first=False, emit_batch_first=True, version=1):
    d = OrderedDict([("format", "seqrt"), ("version", version), ("name", name)])
    if batch_first or emit_batch_first:
        d["batch_first"] = bool(batch_first)
    d["weights"] = "model.safetensors"
    d["inputs"] = inputs
    d["layers"] = layers
    d["outputs"] = outputs
    return d


def case_seed(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def randn(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def rand_lengths(T, B, rng, zero=True, full=True):
    """int32 lengths in [0, T], including a 0 and a T where asked; the other
    entries lie strictly between (1 .. T-1) so the rows differ."""
    lens = rng.integers(1, max(T, 2), size=B).astype(np.int32)
    pos = list(rng.permutation(B))
    if full and pos:
        lens[pos.pop()] = T
    if zero and pos:
        lens[pos.pop()] = 0
    return lens


def seq_input(name, F, bf, tsym="T"):
    """A float32 sequence input of width F in the model layout."""
    return inp(name, "float32", ["B", tsym, F] if bf else [tsym, "B", F])

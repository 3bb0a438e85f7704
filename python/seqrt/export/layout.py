"""How a PyTorch tensor of a recorded run lies over a seqrt value.

Every value the recorded path converts is a View: the seqrt value's name,
its axes as seqrt lays them out (`sq`: labels "T", "B", "F", "L", in
order) and the axes of the PyTorch tensor (`ax`: one tuple of labels per
torch axis: one label, several for axes reshape() merged (row-major), none
for an axis of size 1, "T~" for a time axis torch.flip reversed). So
.transpose(), .permute(), .T, .squeeze(), .unsqueeze(), .reshape(-1, H)
and torch.flip change only the View; the check lays seqrt's arrays out
as PyTorch's with to_torch(). Labels of an input's axes start as
variables ("?...") that the first layer reading the input binds."""

import numpy as np

from .report import ExportError


class View:
    def __init__(self, name, sq, ax, layer=None, part=None, step=False, rev=False):
        self.name, self.sq, self.ax = name, list(sq), [tuple(a) for a in ax]
        self.layer, self.part = layer, part   # recurrent outputs: which layer, which part
        self.step, self.rev = step, rev       # a per-step value inside a loop (step t = time T-1-t if rev)

    def with_ax(self, ax):
        return View(self.name, self.sq, ax, self.layer, self.part, self.step, self.rev)

    def __repr__(self):
        return "View(%s, sq=%s, ax=%s)" % (self.name, self.sq, self.ax)


class Zero:
    """torch.zeros(...) made inside forward (an initial state)."""

    def __init__(self, shape):
        self.shape = tuple(shape)


class Labels:
    """The bindings of the input axes' label variables."""

    def __init__(self):
        self.bind = {}

    def get(self, l):
        flip = l.endswith("~")
        base = l[:-1] if flip else l
        while base in self.bind:
            base = self.bind[base]
        if base.endswith("~"):
            flip, base = not flip, base[:-1]
        return base + ("~" if flip else "")

    def unify(self, l, target, where):
        got = self.get(l)
        if got == target:
            return
        if got.startswith("?"):
            self.bind[got] = target
            return
        if got.rstrip("~").startswith("?"):
            self.bind[got[:-1]] = target + "~" if not target.endswith("~") else target[:-1]
            return
        raise ExportError("%s: an axis PyTorch uses as %s is seqrt's %s here: %s" %
                          (where, _NAMES.get(target.rstrip("~"), target), _NAMES.get(got.rstrip("~"), got),
                           "seqrt's layout is model-wide (batch_first), so every sequence keeps its time and "
                           "batch axes in one order"))

    def view(self, v):
        return View(v.name, [self.get(l) for l in v.sq], [tuple(self.get(l) for l in a) for a in v.ax],
                    v.layer, v.part, v.step, v.rev)


_NAMES = {"T": "time", "B": "batch", "F": "features", "L": "layers"}


def to_torch(arr, sq, ax, shape):
    """seqrt's array `arr` (axes `sq`) laid out as the PyTorch tensor of
    View axes `ax` and shape `shape`."""
    order, flips = [], []
    for a in ax:
        for l in a:
            base = l.rstrip("~")
            if base not in sq:
                raise ExportError("internal: label %s not in %s" % (l, sq))
            order.append(sq.index(base))
            if l.endswith("~"):
                flips.append(sq.index(base))
    rest = [i for i in range(len(sq)) if i not in order]
    a = np.asarray(arr)
    for i in flips:
        a = np.flip(a, axis=i)
    a = a.transpose(rest + order)
    return np.ascontiguousarray(a).reshape(shape)


def from_torch(arr, sq, ax, sizes):
    """The inverse of to_torch: a PyTorch array with View axes `ax` as
    seqrt's array of axes `sq` (sizes: label -> size)."""
    labels = [l for a in ax for l in a]
    split = [sizes[l.rstrip("~")] for l in labels]
    a = np.asarray(arr).reshape(split) if split else np.asarray(arr).reshape(())
    for i, l in enumerate(labels):
        if l.endswith("~"):
            a = np.flip(a, axis=i)
    base = [l.rstrip("~") for l in labels]
    missing = [l for l in sq if l not in base]
    for _ in missing:
        a = a[None]
    base = missing + base
    return np.ascontiguousarray(a.transpose([base.index(l) for l in sq]))

"""Report: what convert() wrote and how the ONNX graph's inputs and outputs
map onto the seqrt model's (and the layout conversions between them)."""

import re

import numpy as np

# the recording path's step: seqrt's axes (labels) -> the ONNX tensor's axes
# (one group per axis: labels joined by "*" for merged axes, "1" for an axis
# of size 1, "~" after a time axis that is reversed)
_AXES = re.compile(r"axes\[([^\]]*) -> ([^\]]*)\]$")


def layout_step(sq, ax):
    """The layout step between seqrt's axes `sq` and an ONNX tensor's `ax`
    (seqrt.export.layout's View), "" when they are the same."""
    if [tuple(a) for a in ax] == [(l,) for l in sq]:
        return ""
    return "axes[%s -> %s]" % (",".join(sq), ",".join("*".join(a) if a else "1" for a in ax))


def _groups(spec):
    return [[] if g == "1" else g.split("*") for g in spec.split(",")]


def _seqrt_to_onnx(a, sq, ax):
    sizes = dict(zip(sq, a.shape))
    order, flips = [], []
    for g in ax:
        for l in g:
            order.append(sq.index(l.rstrip("~")))
            if l.endswith("~"):
                flips.append(order[-1])
    for i in flips:
        a = np.flip(a, axis=i)
    a = a.transpose([i for i in range(len(sq)) if i not in order] + order)
    shape = [int(np.prod([sizes[l.rstrip("~")] for l in g])) if g else 1 for g in ax]
    return np.ascontiguousarray(a).reshape(shape)


def _onnx_to_seqrt(a, sq, ax):
    if any(len(g) > 1 for g in ax):
        raise ValueError("an input whose axes seqrt splits (%s) has no conversion here" % ax)
    labels = [g[0] for g in ax if g]
    a = a.reshape([n for g, n in zip(ax, a.shape) if g])
    for i, l in enumerate(labels):
        if l.endswith("~"):
            a = np.flip(a, axis=i)
    base = [l.rstrip("~") for l in labels]
    missing = [l for l in sq if l not in base]
    a = a.reshape((1,) * len(missing) + a.shape)
    base = missing + base
    return a.transpose([base.index(l) for l in sq])


class Report:
    """What convert() wrote and how the ONNX graph's inputs and outputs map
    onto the seqrt model's."""

    def __init__(self, json_path, weights_path, inputs, outputs, layers, notes):
        self.json_path, self.weights_path = json_path, weights_path
        self.inputs, self.outputs = inputs, outputs     # onnx name -> (seqrt name, layout note)
        self.layers, self.notes = layers, notes

    def to_seqrt(self, onnx_input, arr):
        """An array for ONNX graph input `onnx_input`, in the seqrt input's layout."""
        _, how = self.inputs[onnx_input]
        a = np.asarray(arr)
        m = _AXES.match(how or "")
        if m:
            a = _onnx_to_seqrt(a, m.group(1).split(","), _groups(m.group(2)))
        elif how == "transpose(1,0,2)":
            a = a.transpose(1, 0, 2)
        return np.ascontiguousarray(a)

    def to_onnx(self, onnx_output, arr):
        """seqrt's array for ONNX graph output `onnx_output`, in ONNX's layout:
        applies the steps of its layout note ("a; b": a, then b)."""
        _, how = self.outputs[onnx_output]
        a = np.asarray(arr)
        for step in (how or "").split("; "):
            ax = _AXES.match(step)
            if ax:
                a = _seqrt_to_onnx(a, ax.group(1).split(","), _groups(ax.group(2)))
                continue
            m = re.match(r"reshape\[(T,B|B,T),(\d+),(\d+)\](\.transpose\(0,2,1,3\))?$", step)
            if m:
                a = a.reshape(a.shape[0], a.shape[1], int(m.group(2)), int(m.group(3)))
                if m.group(4):
                    a = a.transpose(0, 2, 1, 3)
            elif step == "transpose(1,0,2)":
                a = a.transpose(1, 0, 2)
            elif step:
                raise ValueError("unknown layout step %r" % step)
        return a

    def __str__(self):
        lines = ["wrote %s and %s: %d layers" % (self.json_path, self.weights_path, self.layers)]
        for kind, table in (("input", self.inputs), ("output", self.outputs)):
            for o, (s, how) in table.items():
                lines.append("  %s %-20s -> %s%s" % (kind, o, s, " (%s)" % how if how else ""))
        for n in self.notes:
            lines.append("  note: " + n)
        return "\n".join(lines)

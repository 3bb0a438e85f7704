"""Report: what convert() wrote and how the ONNX graph's inputs and outputs
map onto the seqrt model's (and the layout conversions between them)."""

import re

import numpy as np


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
        if how == "transpose(1,0,2)":
            a = a.transpose(1, 0, 2)
        return np.ascontiguousarray(a)

    def to_onnx(self, onnx_output, arr):
        """seqrt's array for ONNX graph output `onnx_output`, in ONNX's layout:
        applies the steps of its layout note ("a; b": a, then b)."""
        _, how = self.outputs[onnx_output]
        a = np.asarray(arr)
        for step in (how or "").split("; "):
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

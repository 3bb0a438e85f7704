"""ExportError and ExportReport: what export() raises and returns."""

import os
from collections import OrderedDict


class ExportError(Exception):
    """The model cannot be exported, or seqrt's output disagrees with PyTorch's."""


class ExportReport:
    """What export() wrote and how closely seqrt reproduced PyTorch."""

    def __init__(self, json_path, weights_path, params, checks, weights_dtype, rounding):
        self.json_path, self.weights_path = json_path, weights_path
        self.params, self.checks = params, checks
        self.weights_dtype, self.rounding = weights_dtype, rounding
        self.inputs = OrderedDict()     # the check's inputs (seqrt input name -> array)
        self.expected = OrderedDict()   # PyTorch's outputs for them (seqrt value -> array)
        self.notes = []                 # inputs/outputs whose seqrt layout is not PyTorch's

    @property
    def worst_ratio(self):
        return max((c[2] for c in self.checks.values()), default=0.0)

    def __str__(self):
        lines = ["wrote %s and %s (%d parameters, %s, %d bytes)"
                 % (self.json_path, self.weights_path, self.params, self.weights_dtype,
                    os.path.getsize(self.weights_path))]
        for v, (ok, err, ratio) in self.checks.items():
            lines.append("  %-28s max |seqrt - pytorch| = %.3g  (%.3f of the tolerance)" % (v, err, ratio))
        for n in self.notes:
            lines.append("  " + n)
        if self.rounding is not None:
            lines.append("  storing %s changes the outputs by at most %.3g" % (self.weights_dtype, self.rounding))
        return "\n".join(lines)

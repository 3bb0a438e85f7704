"""Export a PyTorch model to seqrt: a JSON description plus safetensors weights.

    import seqrt.export as sx                       # with <repo>/python on sys.path

    report = sx.export(model, "out/mymodel.json")  # writes out/mymodel.json + .safetensors
    print(report)                                   # what was checked, and how closely

The model's forward() is traced with torch.fx and every step is mapped onto
one of seqrt's ops (docs/interop.md lists the mapping):

  nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.MultiheadAttention,
  nn.ReLU/Tanh/Sigmoid/GELU, nn.Softmax/LogSoftmax, nn.Dropout, nn.Identity,
  F.relu/tanh/sigmoid/gelu/softmax/log_softmax/one_hot/dropout, +, *,
  torch.cat, indexing one position (h_n[-1], y[:, -1]),
  pack_padded_sequence / pad_packed_sequence (-> the ops' `lengths` slot),
  and the spec's attention modules, defined here in PyTorch:
  Attention, AttentionPool, LastStep, MeanPool, with lengths_mask() (an
  nn.MultiheadAttention key_padding_mask) and causal_mask() (its attn_mask).

Weight names are the modules' state_dict() names, so nothing is renamed.
Before it reports success, export() runs the written model through the
seqrt library in process (seqrt.Session, reference device by default) on
random inputs and compares every output with PyTorch's (run in float64 on
the same weights) under the spec's tolerance (|x - ref| <= 1e-4 + 1e-3
|ref|). A mismatch raises ExportError and removes the files.

Command line:
    /usr/bin/python3 -m seqrt.export --selftest [--device reference] [--keep DIR]
    /usr/bin/python3 tools/seqrt_export.py --selftest ...     (the same)
exports a set of test models (every supported module) and checks each
round trip.

A model torch.fx cannot trace (Python loops over time, hand-written
cells, nn.LSTMCell loops, .T / transpose / permute / reshape, bmm, ...)
is exported when export() is given forward()'s example arguments, as
torch.onnx.export takes them: forward() is recorded on them, its loops are
folded back into recurrent layers and their cells identified by dataflow
(docs/porting.md lists the patterns), and the result is checked the same
way, at two other lengths and batch sizes.

check_description(description, module): a hand-written description
against a module, worst error per output and the first layer that
disagrees (verify.py).

Modules: modules (the PyTorch modules and masks), trace (torch.fx),
convert, layers, functions, values (graph -> description), check (the round
trip), api (export()), selftest, cli; the recording path: record, fold,
cells, lower, ops, attn, layout, eager; verify.
"""

import sys as _sys
import types as _types

from .api import ATOL, RTOL, export
from .modules import Attention, AttentionPool, LastStep, MeanPool, causal_mask, lengths_mask
from .report import ExportError, ExportReport
from .selftest import run_selftest, selftest_models
from .verify import CheckReport, check as check_description

__all__ = ["export", "ExportError", "ExportReport", "ATOL", "RTOL", "Attention", "AttentionPool", "LastStep",
           "MeanPool", "lengths_mask", "causal_mask", "selftest_models", "run_selftest", "main",
           "check_description", "CheckReport"]


def main(argv=None):
    """The command line (python3 -m seqrt.export, tools/seqrt_export.py)."""
    from .cli import main as _main
    return _main(argv)


class _CallableModule(_types.ModuleType):
    """seqrt.export is also the function: seqrt.export(module, path,
    example_inputs, **options) is seqrt.export.export(...), the call the
    issue's users write after `import seqrt` (torch.onnx.export's shape)."""

    def __call__(self, *args, **kwargs):
        return export(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule

"""The golden case generator behind tools/make_goldens.py (its docstring
says what the cases are and how to run it).

    spec             the NumPy float64 equations of the spec (cells, attention)
    model            evaluates a seqrt description in float64 (the op table)
    case             a Case and the helpers that build descriptions and data
    writers          writes and re-reads a case directory, README.md, cases.txt
    torch_eval       PyTorch in float64: recurrences, pooling, attention
    onnx_vectors     ONNX node test vectors converted to cases
    cases_recurrent  case lists: lstm/gru/rnn (PyTorch and float64)
    cases_ops        case lists: per-step ops, pooling, small models
    cases_attention  case lists: attention, attention_pool, multi-head
    build            self-tests, every case, writing the directory

The file formats and ONNX gate orders come from python/seqrt (seqrt.formats,
seqrt.gates), put on sys.path here.
"""
import os
import sys

_PYTHON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")
if os.path.abspath(_PYTHON) not in [os.path.abspath(p) for p in sys.path]:
    sys.path.insert(0, _PYTHON)

"""PyTorch's dynamically quantized modules (torch.ao.nn.quantized.dynamic
Linear, LSTM, GRU, as torch.ao.quantization.quantize_dynamic makes them)
in seqrt.export: each becomes a format 1.2 layer of precision
"int8-dynamic" whose weight matrices are written as torch stored them (I8
codes, `<param>.scale` F32 [1] or [rows]) and its biases float32; the
description's int8_rule is torch.backends.quantized.engine
(docs/model-format/quantization.md). Engines 1.2 does not define (fbgemm,
x86) and modules saved before reduce_range was passed (Linear version < 4,
LSTM/GRU < 2) are refused."""

from collections import OrderedDict

import numpy as np
import torch

from .report import ExportError

try:
    _QD = torch.ao.nn.quantized.dynamic
    QUANT_LINEAR, QUANT_LSTM, QUANT_GRU = _QD.Linear, _QD.LSTM, _QD.GRU
    QUANT_MODULES = (QUANT_LINEAR, QUANT_LSTM, QUANT_GRU)
except AttributeError:  # a torch without torch.ao's dynamic modules
    QUANT_LINEAR = QUANT_LSTM = QUANT_GRU = None
    QUANT_MODULES = ()

_MIN_VERSION = {"Linear": 4, "LSTM": 2, "GRU": 2}


def is_quantized(m):
    return bool(QUANT_MODULES) and isinstance(m, QUANT_MODULES)


def int8_rule(what):
    """The int8_rule of the engine torch computes with now."""
    engine = torch.backends.quantized.engine
    if engine not in ("qnnpack", "onednn"):
        raise ExportError("%s: torch.backends.quantized.engine is %r; format 1.2 defines int8-dynamic for "
                          "'qnnpack' and 'onednn' only (set the engine before quantize_dynamic and export)"
                          % (what, engine))
    return engine


def check_module(what, m):
    kind = type(m).__name__
    version = getattr(m, "_version", None)
    if version is not None and version < _MIN_VERSION[kind]:
        raise ExportError("%s: a quantized %s of version %d (saved before reduce_range was passed) computes "
                          "differently; re-quantize it with this torch" % (what, kind, version))
    if getattr(m, "dtype", torch.qint8) != torch.qint8:
        raise ExportError("%s: a dynamically quantized %s of dtype %s: format 1.2 has int8 (qint8) only"
                          % (what, kind, m.dtype))


def _codes(name, qt):
    if qt.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        if qt.q_per_channel_axis() != 0 or bool((qt.q_per_channel_zero_points() != 0).any()):
            raise ExportError("%s: per-channel int8 weights must be on axis 0 with zero points 0" % name)
        scale = qt.q_per_channel_scales().numpy().astype(np.float32)
    else:
        if qt.q_zero_point() != 0:
            raise ExportError("%s: int8 weights must have zero point 0, got %d" % (name, qt.q_zero_point()))
        scale = np.array([qt.q_scale()], np.float32)
    return qt.int_repr().numpy().astype(np.int8), scale


def tensors(name, m):
    """OrderedDict tensor name -> numpy array (int8 codes, float32 scales and
    biases) of quantized module m, the layer called `name`."""
    out = OrderedDict()
    if isinstance(m, QUANT_LINEAR):
        mats, biases = {"weight": m.weight()}, {"bias": m.bias()}
    else:
        mats, biases = m.get_weight(), m.get_bias()
    for k, qt in mats.items():
        q, s = _codes("%s.%s" % (name, k), qt)
        out["%s.%s" % (name, k)] = q
        out["%s.%s.scale" % (name, k)] = s
    for k, b in biases.items():
        if b is not None:
            out["%s.%s" % (name, k)] = b.detach().to(torch.float32).numpy()
    return out

"""Tracing forward() with torch.fx: the supported modules stay leaves, and
pack_padded_sequence / pad_packed_sequence are recorded as graph nodes."""

import torch
import torch.fx
import torch.nn as nn
import torch.nn.utils.rnn as rnn_utils

from .modules import Attention, AttentionPool, LastStep, MeanPool
from .quantized import QUANT_MODULES, QUANT_LSTM, QUANT_GRU
from .report import ExportError
from ..torch.lstm import LSTM as SqLSTM

_ORIG_PACK = rnn_utils.pack_padded_sequence
_ORIG_PAD = rnn_utils.pad_packed_sequence
_LEAVES = (nn.Embedding, nn.LSTM, nn.GRU, nn.RNN, nn.Linear, nn.MultiheadAttention, nn.ReLU, nn.Tanh,
           nn.Sigmoid, nn.GELU, nn.Softmax, nn.LogSoftmax, nn.Dropout, nn.Identity,
           Attention, AttentionPool, LastStep, MeanPool) + QUANT_MODULES


def _proxy_aware(orig, arity=None):
    """`orig`, recorded as one graph node when called on traced values. With
    `arity`, the result is a tuple of that many values (so that it unpacks
    without torch.fx's bytecode inspection, which fails on newer Pythons)."""
    def wrapper(*args, **kwargs):
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, torch.fx.Proxy):
                p = a.tracer.create_proxy("call_function", orig, args, kwargs)
                return tuple(p[i] for i in range(arity)) if arity else p
        return orig(*args, **kwargs)
    wrapper.__name__ = orig.__name__
    wrapper.__wrapped__ = orig
    return wrapper


class _Tracer(torch.fx.Tracer):
    def is_leaf_module(self, m, qualname):
        return isinstance(m, _LEAVES) or getattr(m, "seqrt_leaf", False) or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        p = super().call_module(m, forward, args, kwargs)
        if not isinstance(p, torch.fx.Proxy):
            return p
        # Modules that return tuples hand back real tuples of values.
        if isinstance(m, (nn.LSTM, SqLSTM)) or (QUANT_LSTM is not None and isinstance(m, QUANT_LSTM)):
            return (p[0], (p[1][0], p[1][1]))
        if isinstance(m, (nn.GRU, nn.RNN, nn.MultiheadAttention, Attention, AttentionPool)) or (
                QUANT_GRU is not None and isinstance(m, QUANT_GRU)):
            return (p[0], p[1])
        return p


def trace(model):
    """The torch.fx graph of model.forward(); ExportError when it cannot be traced."""
    tracer = _Tracer()
    pack, pad = _proxy_aware(_ORIG_PACK), _proxy_aware(_ORIG_PAD, 2)
    swaps = []   # (dict, key, original)
    spaces = [vars(rnn_utils)] + [type(m).forward.__globals__ for m in model.modules()]
    seen = set()
    for g in spaces:
        if id(g) in seen:
            continue
        seen.add(id(g))
        for k, v in list(g.items()):
            if v is _ORIG_PACK or v is _ORIG_PAD:
                swaps.append((g, k, v))
                g[k] = pack if v is _ORIG_PACK else pad
    try:
        graph = tracer.trace(model)
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - fx raises many kinds
        raise ExportError("torch.fx cannot trace %s.forward: %s: %s (seqrt needs a forward() without "
                          "data-dependent control flow)" % (type(model).__name__, type(e).__name__, e))
    finally:
        for g, k, v in swaps:
            g[k] = v
    return graph

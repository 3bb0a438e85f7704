"""The spec's attention and pooling ops as PyTorch modules: Attention,
AttentionPool, LastStep, MeanPool, and the masks of nn.MultiheadAttention
that export() maps onto seqrt's slots (lengths_mask -> `lengths`,
causal_mask -> `causal: true`).

They are ordinary modules (train them like any other) computing exactly the
spec's equations: padded steps get weight 0, a row with no valid step gives
zeros, never NaN.
"""

import math

import torch
import torch.fx
import torch.nn as nn

__all__ = ["Attention", "AttentionPool", "LastStep", "MeanPool", "lengths_mask", "causal_mask"]

_ACT = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}


def _valid_mask(lengths, T, device):
    """[B, T] bool: step t of entry b is valid (t < lengths[b])."""
    return torch.arange(T, device=device)[None, :] < lengths.to(device)[:, None]


def _masked_softmax(scores, valid):
    """Softmax over the last axis of the valid entries; padded entries get
    exactly 0, a row with no valid entry is all 0 (never NaN)."""
    neg = torch.finfo(scores.dtype).min
    s = scores.masked_fill(~valid, neg)
    w = torch.softmax(s, dim=-1) * valid.to(scores.dtype)
    return torch.where(valid.any(dim=-1, keepdim=True), w, torch.zeros_like(w))


def _bt(x, batch_first):
    """A sequence as [B, T, F]."""
    return x if batch_first else x.transpose(0, 1)


class AttentionPool(nn.Module):
    """seqrt's `attention_pool`: scores each step with
    projection.2(activation(projection.0(x_t))), then returns the
    softmax-weighted sum of the steps over the valid ones, and the weights.

    forward(x, lengths=None) -> (pooled [B, F], weights [B, T])."""

    def __init__(self, features, hidden=64, activation="relu", batch_first=False):
        super().__init__()
        if activation not in _ACT:
            raise ValueError("activation must be one of %s" % ", ".join(_ACT))
        self.features, self.hidden, self.activation = features, hidden, activation
        self.batch_first = batch_first
        self.projection = nn.Sequential(nn.Linear(features, hidden), _ACT[activation](),
                                        nn.Linear(hidden, 1))

    def forward(self, x, lengths=None):
        xb = _bt(x, self.batch_first)
        B, T = xb.shape[0], xb.shape[1]
        scores = self.projection(xb).squeeze(-1)
        valid = (_valid_mask(lengths, T, x.device) if lengths is not None
                 else torch.ones(B, T, dtype=torch.bool, device=x.device))
        w = _masked_softmax(scores, valid)
        return torch.einsum("bt,btf->bf", w, xb), w


class Attention(nn.Module):
    """seqrt's `attention`: a query ([B, Hq], or a sequence) attends over
    keys (a sequence [T, B, Hk]) and values (default: the keys).

    score: "dot", "scaled_dot", "general" (weight [Hq, Hk]) or "additive"
    (query: Linear(Hq, A, bias=False), key: Linear(Hk, A, bias=key_bias),
    v: Linear(A, 1, bias=False)).

    forward(query, keys, values=None, lengths=None) -> (context, weights):
    context [B, Hv] (or a sequence for a sequence query), weights [B, Tk]
    (or [B, Tq, Tk])."""

    def __init__(self, score="dot", query_size=None, key_size=None, attention_size=None,
                 key_bias=True, batch_first=False):
        super().__init__()
        if score not in ("dot", "scaled_dot", "general", "additive"):
            raise ValueError("score must be dot, scaled_dot, general or additive")
        self.score, self.batch_first = score, batch_first
        if score == "general":
            self.weight = nn.Parameter(torch.randn(query_size, key_size) / math.sqrt(key_size))
        elif score == "additive":
            self.query = nn.Linear(query_size, attention_size, bias=False)
            self.key = nn.Linear(key_size, attention_size, bias=key_bias)
            self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, query, keys, values=None, lengths=None):
        kb = _bt(keys, self.batch_first)                 # [B, Tk, Hk]
        vb = kb if values is None else _bt(values, self.batch_first)
        seq = query.dim() == 3
        qb = _bt(query, self.batch_first) if seq else query[:, None, :]  # [B, Tq, Hq]
        if self.score in ("dot", "scaled_dot"):
            s = torch.einsum("bqh,bkh->bqk", qb, kb)
            if self.score == "scaled_dot":
                s = s / math.sqrt(kb.shape[-1])
        elif self.score == "general":
            s = torch.einsum("bqh,hk,btk->bqt", qb, self.weight, kb)
        else:
            e = torch.tanh(self.query(qb)[:, :, None, :] + self.key(kb)[:, None, :, :])
            s = self.v(e).squeeze(-1)
        B, Tq, Tk = s.shape
        valid = (_valid_mask(lengths, Tk, s.device) if lengths is not None
                 else torch.ones(B, Tk, dtype=torch.bool, device=s.device))
        w = _masked_softmax(s, valid[:, None, :].expand(B, Tq, Tk))
        ctx = torch.einsum("bqk,bkh->bqh", w, vb)
        if not seq:
            return ctx[:, 0, :], w[:, 0, :]
        return (ctx if self.batch_first else ctx.transpose(0, 1)), w


class _Pool(nn.Module):
    """A pooling over the time axis of x ([T, B, F], or [B, T, F] when
    batch_first) into [B, F]."""

    def __init__(self, batch_first=False):
        super().__init__()
        self.batch_first = batch_first


class LastStep(_Pool):
    """seqrt's `last_step`: step lengths[b]-1 (or T-1) of each entry; zeros
    where lengths[b] = 0. forward(x, lengths=None) -> [B, F]."""

    def forward(self, x, lengths=None):
        xb = _bt(x, self.batch_first)
        if lengths is None:
            return xb[:, -1, :]
        idx = (lengths.to(x.device).long() - 1).clamp(min=0)
        out = xb[torch.arange(xb.shape[0], device=x.device), idx]
        return out * (lengths.to(x.device) > 0).to(x.dtype)[:, None]


class MeanPool(_Pool):
    """seqrt's `mean_pool`: the mean of the valid steps; zeros where
    lengths[b] = 0. forward(x, lengths=None) -> [B, F]."""

    def forward(self, x, lengths=None):
        xb = _bt(x, self.batch_first)
        if lengths is None:
            return xb.mean(dim=1)
        valid = _valid_mask(lengths, xb.shape[1], x.device).to(x.dtype)
        n = valid.sum(dim=1, keepdim=True)
        return (xb * valid[:, :, None]).sum(dim=1) / n.clamp(min=1)


def _is_proxy(*args):
    return any(isinstance(a, torch.fx.Proxy) for a in args)


def lengths_mask(lengths, x, batch_first=False):
    """nn.MultiheadAttention's key_padding_mask for sequence x: [B, T] bool,
    True at padded steps (t >= lengths[b]). Exported as the `lengths` slot."""
    if _is_proxy(lengths, x):
        return x.tracer.create_proxy("call_function", lengths_mask, (lengths, x, batch_first), {}) \
            if isinstance(x, torch.fx.Proxy) else \
            lengths.tracer.create_proxy("call_function", lengths_mask, (lengths, x, batch_first), {})
    T = x.shape[1] if batch_first else x.shape[0]
    return ~_valid_mask(lengths, T, x.device)


def causal_mask(x, batch_first=False):
    """nn.MultiheadAttention's attn_mask hiding the keys after each query's
    position: [T, T] bool. Exported as `causal: true`."""
    if isinstance(x, torch.fx.Proxy):
        return x.tracer.create_proxy("call_function", causal_mask, (x, batch_first), {})
    T = x.shape[1] if batch_first else x.shape[0]
    return torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)

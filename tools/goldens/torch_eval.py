"""PyTorch in float64: the modules' weights as stored, recurrent layers with
lengths (pack_padded_sequence), last_step / mean_pool / attention /
attention_pool written from the spec's equations, and the self-test of the
float64 recurrences against PyTorch."""

import math
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .case import case_seed, rand_lengths
from .spec import recurrent_np, recurrent_params

torch.set_num_threads(1)

RNN_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


def seeded(name):
    """Seeds torch with the case's seed and returns a NumPy generator with it."""
    seed = case_seed(name)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def state(prefix, module):
    """The module's state_dict as float32 arrays named <prefix>.<param>."""
    return OrderedDict((prefix + "." + k, v.detach().cpu().numpy().astype(np.float32).copy())
                       for k, v in module.state_dict().items())


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64).copy())


def f64(t):
    return t.detach().cpu().numpy().astype(np.float64)


def torch_recurrent(mod, x, lengths=None, h0=None, c0=None):
    """Runs an nn.LSTM/GRU/RNN (float64) on x (a tensor in the module's
    layout). With lengths, runs through pack_padded_sequence; rows with
    length 0 (which PyTorch refuses to pack) are filled per the spec:
    outputs 0, final state = initial state. Returns (out, h_n, c_n|None)."""
    lstm = isinstance(mod, nn.LSTM)
    bf = mod.batch_first
    B = x.shape[0] if bf else x.shape[1]
    T = x.shape[1] if bf else x.shape[0]
    LD = mod.num_layers * (2 if mod.bidirectional else 1)
    Hout = getattr(mod, "proj_size", 0) or mod.hidden_size
    H = mod.hidden_size
    if h0 is None:
        h0 = torch.zeros(LD, B, Hout, dtype=torch.float64)
    if lstm and c0 is None:
        c0 = torch.zeros(LD, B, H, dtype=torch.float64)
    with torch.no_grad():
        if lengths is None:
            out, hx = mod(x, (h0, c0) if lstm else h0)
            return (out,) + (tuple(hx) if lstm else (hx, None))
        lens = np.asarray(lengths, dtype=np.int64)
        idx = torch.from_numpy(np.nonzero(lens > 0)[0])
        F = Hout * (2 if mod.bidirectional else 1)
        out = torch.zeros((B, T, F) if bf else (T, B, F), dtype=torch.float64)
        h_n = h0.clone()
        c_n = c0.clone() if lstm else None
        if len(idx):
            xs = x[idx] if bf else x[:, idx]
            packed = pack_padded_sequence(xs, torch.from_numpy(lens[idx.numpy()]), batch_first=bf,
                                          enforce_sorted=False)
            hx0 = (h0[:, idx].contiguous(), c0[:, idx].contiguous()) if lstm else h0[:, idx].contiguous()
            o, hx = mod(packed, hx0)
            o, _ = pad_packed_sequence(o, batch_first=bf, total_length=T)
            if bf:
                out[idx] = o
            else:
                out[:, idx] = o
            if lstm:
                h_n[:, idx] = hx[0]
                c_n[:, idx] = hx[1]
            else:
                h_n[:, idx] = hx
        return out, h_n, c_n


def rnn_attrs(mod, kind):
    """seqrt attributes of an nn.LSTM/GRU/RNN."""
    a = OrderedDict([("input_size", mod.input_size), ("hidden_size", mod.hidden_size)])
    if mod.num_layers != 1:
        a["num_layers"] = mod.num_layers
    if mod.bidirectional:
        a["bidirectional"] = True
    if kind == "lstm" and mod.proj_size:
        a["proj_size"] = mod.proj_size
    if not mod.bias:
        a["bias"] = False
    if kind == "rnn":
        a["nonlinearity"] = mod.nonlinearity
    return a


def _get_shaped(sd, name, shape):
    a = sd[name]
    assert tuple(a.shape) == tuple(shape), (name, a.shape, shape)
    return a


def selftest_vs_torch():
    """The NumPy float64 recurrences agree with PyTorch (float64) to 1e-9 on
    vanilla configurations (all options PyTorch has, lengths with a 0 and a
    full length, initial states, batch_first)."""
    configs = [
        ("lstm", dict(input_size=3, hidden_size=5), False, False),
        ("lstm", dict(input_size=3, hidden_size=5, num_layers=2), True, True),
        ("lstm", dict(input_size=4, hidden_size=6, proj_size=3), False, True),
        ("lstm", dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True), True, True),
        ("lstm", dict(input_size=4, hidden_size=6, num_layers=2, bidirectional=True, proj_size=4), True, True),
        ("lstm", dict(input_size=4, hidden_size=5, bias=False, bidirectional=True), True, False),
        ("lstm", dict(input_size=4, hidden_size=5, num_layers=2, bidirectional=True, batch_first=True), True, True),
        ("gru", dict(input_size=3, hidden_size=5), False, False),
        ("gru", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True), True, True),
        ("gru", dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, batch_first=True), True, True),
        ("rnn", dict(input_size=3, hidden_size=5, nonlinearity="tanh"), True, True),
        ("rnn", dict(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, nonlinearity="relu"), True, True),
    ]
    worst = 0.0
    for n, (kind, kw, use_len, use_h0) in enumerate(configs):
        torch.manual_seed(1000 + n)
        rng = np.random.default_rng(1000 + n)
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        mod = cls(**kw).double()
        T, B = 6, 4
        bf = kw.get("batch_first", False)
        D = 2 if kw.get("bidirectional") else 1
        LD = kw.get("num_layers", 1) * D
        Hout = kw.get("proj_size", 0) or kw["hidden_size"]
        x = rng.standard_normal((T, B, kw["input_size"]))
        lens = rand_lengths(T, B, rng) if use_len else None
        h0 = rng.standard_normal((LD, B, Hout)) * 0.5 if use_h0 else None
        c0 = rng.standard_normal((LD, B, kw["hidden_size"])) * 0.5 if use_h0 and kind == "lstm" else None
        xin = x.transpose(1, 0, 2) if bf else x
        out, h_n, c_n = torch_recurrent(mod, t64(xin), lens,
                                        None if h0 is None else t64(h0), None if c0 is None else t64(c0))
        out = f64(out)
        if bf:
            out = out.transpose(1, 0, 2)
        cfg = dict(kw)
        sd = {k: f64(v) for k, v in mod.state_dict().items()}
        params = recurrent_params(kind, cfg, lambda nm, shp: _get_shaped(sd, nm, shp))
        y, hn, cn = recurrent_np(kind, x, params, cfg, h0, c0, lens)
        errs = [np.abs(y - out).max(), np.abs(hn - f64(h_n)).max()]
        if kind == "lstm":
            errs.append(np.abs(cn - f64(c_n)).max())
        err = max(errs)
        worst = max(worst, err)
        assert err <= 1e-9, ("float64 implementation disagrees with PyTorch", kind, kw, err)
    return worst


def btf(t, bf):
    """[B, T, F] view of a sequence tensor in the model layout."""
    return t if bf else t.transpose(0, 1)


def torch_last_step(x, lens, bf):
    X = btf(x, bf)
    B, T, _ = X.shape
    lens = torch.full((B,), T, dtype=torch.long) if lens is None else torch.as_tensor(lens, dtype=torch.long)
    idx = (lens - 1).clamp(min=0)
    y = X[torch.arange(B), idx]
    return y * (lens > 0).to(y.dtype)[:, None]


def torch_mean_pool(x, lens, bf):
    X = btf(x, bf)
    B, T, _ = X.shape
    lens = torch.full((B,), T, dtype=torch.long) if lens is None else torch.as_tensor(lens, dtype=torch.long)
    mask = (torch.arange(T)[None, :] < lens[:, None]).to(X.dtype)
    s = (X * mask[:, :, None]).sum(1)
    return torch.where(lens[:, None] > 0, s / lens.clamp(min=1)[:, None].to(X.dtype), torch.zeros_like(s))


class AdditiveScore(nn.Module):
    """v . tanh(W_q q + W_k k + b_k); state_dict names query.weight,
    key.weight, key.bias (if key_bias), v.weight."""

    def __init__(self, Hq, Hk, A, key_bias=True):
        super().__init__()
        self.query = nn.Linear(Hq, A, bias=False)
        self.key = nn.Linear(Hk, A, bias=key_bias)
        self.v = nn.Linear(A, 1, bias=False)


def amplify(module, gain):
    """Scales a float32 module's parameters in place (the result is what gets
    stored, so it stays float32-exact). Used in the attention cases so that
    hidden states and scores spread over several units and the attention
    weights are far from uniform."""
    with torch.no_grad():
        for prm in module.parameters():
            prm.mul_(gain)
    return module


def make_scorer(score, Hq, Hk, A):
    if score == "general":
        return nn.Linear(Hk, Hq, bias=False)   # weight [Hq, Hk]: score = q . (W k)
    if score == "additive":
        return AdditiveScore(Hq, Hk, A, True)
    if score == "additive_nobias":
        return AdditiveScore(Hq, Hk, A, False)
    return None


def torch_attention(q, keys, values, lens, score, scorer, bf):
    """Spec attention in torch: q [B,Hq] or a sequence; keys/values sequences
    in the model layout. Returns (context, weights)."""
    K, V = btf(keys, bf), btf(values, bf)
    vec = q.dim() == 2
    Q = q.unsqueeze(1) if vec else btf(q, bf)
    if score in ("dot", "scaled_dot"):
        S = torch.bmm(Q, K.transpose(1, 2))
        if score == "scaled_dot":
            S = S / math.sqrt(K.shape[-1])
    elif score == "general":
        S = torch.bmm(Q, scorer(K).transpose(1, 2))
    else:
        S = scorer.v(torch.tanh(scorer.query(Q).unsqueeze(2) + scorer.key(K).unsqueeze(1))).squeeze(-1)
    if lens is not None:
        pad = torch.arange(K.shape[1])[None, None, :] >= torch.as_tensor(lens, dtype=torch.long)[:, None, None]
        S = S.masked_fill(pad, float("-inf"))
    W = torch.nan_to_num(torch.softmax(S, dim=-1), nan=0.0)   # a row with no valid key: all 0
    ctx = torch.bmm(W, V)
    if vec:
        return ctx[:, 0], W[:, 0]
    return (ctx if bf else ctx.transpose(0, 1)), W


class AttentionPool(nn.Module):
    def __init__(self, F, A, act):
        super().__init__()
        self.projection = nn.Sequential(nn.Linear(F, A), {"relu": nn.ReLU, "tanh": nn.Tanh}[act](), nn.Linear(A, 1))

    def forward(self, X, lens):   # X [B, T, F]
        s = self.projection(X).squeeze(-1)
        if lens is not None:
            s = s.masked_fill(torch.arange(X.shape[1])[None, :] >= torch.as_tensor(lens, dtype=torch.long)[:, None],
                              float("-inf"))
        wts = torch.nan_to_num(torch.softmax(s, -1), nan=0.0)
        return (wts.unsqueeze(-1) * X).sum(1), wts

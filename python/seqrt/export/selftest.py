"""The exporter's self-test: round trips of eight models that together use
every supported module (weights doubled from PyTorch's initialisation, to
make the check harder)."""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

from .api import export
from .modules import Attention, AttentionPool, LastStep, MeanPool, causal_mask, lengths_mask
from .report import ExportError


class _CharLM(nn.Module):
    """embedding -> 2-layer LSTM -> linear -> softmax (examples/charlm)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        self.rnn = nn.LSTM(8, 16, num_layers=2)
        self.fc = nn.Linear(16, 20)
        self.probs = nn.Softmax(dim=-1)

    def forward(self, tokens):
        y, (h, c) = self.rnn(self.embed(tokens))
        return self.probs(self.fc(y)), h, c


class _PackedGRU(nn.Module):
    """bidirectional GRU over packed sequences, mean pooled, log_softmax."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(30, 6)
        self.gru = nn.GRU(6, 10, num_layers=2, bidirectional=True)
        self.pool = MeanPool()
        self.head = nn.Sequential(nn.Linear(20, 12), nn.Tanh(), nn.Dropout(0.3), nn.Linear(12, 4))

    def forward(self, tokens, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(tokens), lengths, enforce_sorted=False)
        y, h = self.gru(packed)
        y, _ = nn.utils.rnn.pad_packed_sequence(y, total_length=tokens.shape[0])
        return F.log_softmax(self.head(self.pool(y, lengths)), dim=-1), h


class _ReluRNN(nn.Module):
    """batch_first float input, nn.RNN(relu) with h0, last step, select."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(5, 9, num_layers=2, nonlinearity="relu", batch_first=True)
        self.last = LastStep(batch_first=True)
        self.out = nn.Linear(9, 3, bias=False)

    def forward(self, x, h0):
        y, h = self.rnn(x, h0)
        return self.out(y[:, -1]), self.last(y), torch.sigmoid(h[-1])


class _ProjLSTM(nn.Module):
    """LSTM with projections, batch_first, (h0, c0) inputs, lengths."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 12, proj_size=5, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(10, 2)

    def forward(self, x, h0, c0, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
        y, (h, c) = self.lstm(packed, (h0, c0))
        y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True)
        return self.fc(y), h, c


class _SelfAttn(nn.Module):
    """embedding -> LSTM -> causal, key-padded self-attention with a residual
    and GELU -> attention pooling (tanh) -> softmax."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(40, 16)
        self.rnn = nn.LSTM(16, 16)
        self.mha = nn.MultiheadAttention(16, num_heads=4)
        self.act = nn.GELU()
        self.pool = AttentionPool(16, hidden=8, activation="tanh")
        self.cls = nn.Linear(16, 5)

    def forward(self, tokens, lengths):
        y, _ = self.rnn(self.embed(tokens))
        a, w = self.mha(y, y, y, key_padding_mask=lengths_mask(lengths, y), attn_mask=causal_mask(y))
        z = self.act(a + y)
        pooled, pw = self.pool(z, lengths)
        return torch.softmax(self.cls(pooled), dim=-1), w, pw


class _CrossAttn(nn.Module):
    """batch_first encoder/decoder: cross multi-head attention (no bias),
    concat and mul."""

    def __init__(self):
        super().__init__()
        self.enc = nn.GRU(6, 8, batch_first=True)
        self.dec = nn.GRU(6, 8, batch_first=True)
        self.mha = nn.MultiheadAttention(8, 2, bias=False, batch_first=True)
        self.gate = nn.Linear(16, 16)

    def forward(self, src, tgt):
        k, _ = self.enc(src)
        q, _ = self.dec(tgt)
        a, _ = self.mha(q, k, k, need_weights=False)
        both = torch.cat([q, a], dim=-1)
        return both * torch.sigmoid(self.gate(both))


class _Attentions(nn.Module):
    """The spec's attention op with every score, [B, H] and sequence queries."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(25, 6)
        self.rnn = nn.LSTM(6, 8)
        self.dot = Attention("dot")
        self.sdot = Attention("scaled_dot")
        self.general = Attention("general", query_size=8, key_size=8)
        self.additive = Attention("additive", query_size=8, key_size=8, attention_size=6)
        self.values = nn.Linear(8, 3)

    def forward(self, tokens, lengths):
        y, (h, c) = self.rnn(self.embed(tokens))
        q = h[-1]
        c1, w1 = self.dot(q, y, lengths=lengths)
        c2, w2 = self.sdot(q, y, self.values(y), lengths)
        c3, w3 = self.general(y, y, lengths=lengths)
        c4, w4 = self.additive(q, y, None, lengths)
        return c1, w1, c2, w2, c3, w3, c4, w4


class _OneHot(nn.Module):
    """one-hot input, two layers of the same Linear, F16 weights."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(7, 7)
        self.fc = nn.Linear(7, 7)

    def forward(self, ids):
        x = F.one_hot(ids, 7).float()
        y, _ = self.rnn(x)
        return F.relu(self.fc(self.fc(y)))


def selftest_models():
    """(name, model, export keyword arguments) of the self-test's models."""
    torch.manual_seed(0)
    cases = [("charlm", _CharLM(), {}), ("packed_gru", _PackedGRU(), {}), ("relu_rnn", _ReluRNN(), {}),
             ("proj_lstm", _ProjLSTM(), {}), ("self_attention", _SelfAttn(), {}),
             ("cross_attention", _CrossAttn(), {}), ("attention_scores", _Attentions(), {}),
             ("one_hot_f16", _OneHot(), {"weights_dtype": "F16"})]
    for _, m, _ in cases:
        for p in m.parameters():   # larger weights than PyTorch's init: a harder check
            with torch.no_grad():
                p.mul_(2.0)
    return cases


def run_selftest(device="reference", keep=None, out=print):
    """Exports and checks every self-test model (on `device`; into `keep`,
    else a temporary directory); prints one line per model. Returns the
    number of failed round trips."""
    cases = selftest_models()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="seqrt-export-") as tmp:
        where = keep or tmp
        for name, m, kw in cases:
            try:
                rep = export(m, os.path.join(where, name + ".json"), device=device, **kw)
                out("ok   %-18s %s" % (name, str(rep).replace("\n", "\n" + " " * 24)))
            except ExportError as e:
                failed += 1
                out("FAIL %-18s %s" % (name, e))
    out("%d of %d round trips within the spec's tolerance" % (len(cases) - failed, len(cases)))
    return failed

"""seqrt.torch.LSTM: nn.LSTM's drop-in with what torch.nn lacks, the
coupled input gate (i = 1 - f, CIFG) and peepholes, computing exactly the
seqrt format's `lstm` equations (docs/model-format.md), trainable in
PyTorch and exported by seqrt.export as one `lstm` layer.

Parameters are nn.LSTM's state_dict names (weight_ih_l{k}{s},
weight_hh_l{k}{s}, bias_ih_l{k}{s}, bias_hh_l{k}{s}, weight_hr_l{k}{s} with
proj_size) plus, with peephole=True, weight_pi_l{k}{s}, weight_pf_l{k}{s},
weight_po_l{k}{s} [H] as the format names them; s is "" or "_reverse".
With coupled=True the input gate's rows of the weights are kept (the
format's shapes) but unused: their gradients are zero."""

import math

import torch
import torch.nn as nn

__all__ = ["LSTM"]


class LSTM(nn.Module):
    seqrt_leaf = True     # the exporters map the whole module onto one `lstm` layer

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, coupled=False, peephole=False):
        super().__init__()
        if proj_size < 0 or proj_size >= hidden_size and proj_size != 0:
            raise ValueError("proj_size must be 0 or smaller than hidden_size")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        self.coupled, self.peephole = coupled, peephole
        D = 2 if bidirectional else 1
        H, Hout = hidden_size, proj_size or hidden_size
        for k in range(num_layers):
            in_k = input_size if k == 0 else Hout * D
            for s in ("", "_reverse")[:D]:
                sfx = "_l%d%s" % (k, s)
                self.register_parameter("weight_ih" + sfx, nn.Parameter(torch.empty(4 * H, in_k)))
                self.register_parameter("weight_hh" + sfx, nn.Parameter(torch.empty(4 * H, Hout)))
                if bias:
                    self.register_parameter("bias_ih" + sfx, nn.Parameter(torch.empty(4 * H)))
                    self.register_parameter("bias_hh" + sfx, nn.Parameter(torch.empty(4 * H)))
                if proj_size:
                    self.register_parameter("weight_hr" + sfx, nn.Parameter(torch.empty(proj_size, H)))
                if peephole:
                    for g in ("pi", "pf", "po"):
                        self.register_parameter("weight_%s%s" % (g, sfx), nn.Parameter(torch.empty(H)))
        self.reset_parameters()

    def reset_parameters(self):
        """nn.LSTM's initialisation: uniform(-1/sqrt(H), 1/sqrt(H))."""
        std = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -std, std)

    def extra_repr(self):
        s = "%d, %d" % (self.input_size, self.hidden_size)
        for k in ("num_layers", "batch_first", "bidirectional", "proj_size", "coupled", "peephole"):
            v = getattr(self, k)
            if v not in (False, 0, 1) or (k == "num_layers" and v != 1):
                s += ", %s=%s" % (k, v)
        return s

    def _direction(self, x, h, c, sfx, reverse):
        """One direction of one layer over x [T, B, in]: (outputs [T, B, Hout], h, c)."""
        p = lambda n: getattr(self, n + sfx, None)  # noqa: E731
        w_ih, w_hh, b_ih, b_hh, w_hr = p("weight_ih"), p("weight_hh"), p("bias_ih"), p("bias_hh"), p("weight_hr")
        pi, pf, po = p("weight_pi"), p("weight_pf"), p("weight_po")
        xw = torch.matmul(x, w_ih.t())
        if b_ih is not None:
            xw = xw + b_ih + b_hh
        out = [None] * x.shape[0]
        steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
        for t in steps:
            a = xw[t] + torch.matmul(h, w_hh.t())
            a_i, a_f, a_g, a_o = a.chunk(4, dim=-1)
            if self.peephole:
                a_i, a_f = a_i + pi * c, a_f + pf * c
            f = torch.sigmoid(a_f)
            i = 1 - f if self.coupled else torch.sigmoid(a_i)
            c = f * c + i * torch.tanh(a_g)
            o = torch.sigmoid(a_o + po * c) if self.peephole else torch.sigmoid(a_o)
            h = o * torch.tanh(c)
            if w_hr is not None:
                h = torch.matmul(h, w_hr.t())
            out[t] = h
        return torch.stack(out), h, c

    def forward(self, input, hx=None):
        x = input.transpose(0, 1) if self.batch_first else input
        D = 2 if self.bidirectional else 1
        B = x.shape[1]
        H, Hout = self.hidden_size, self.proj_size or self.hidden_size
        if hx is None:
            h0 = x.new_zeros(self.num_layers * D, B, Hout)
            c0 = x.new_zeros(self.num_layers * D, B, H)
        else:
            h0, c0 = hx
        hs, cs = [], []
        for k in range(self.num_layers):
            outs = []
            for d, s in enumerate(("", "_reverse")[:D]):
                y, h, c = self._direction(x, h0[k * D + d], c0[k * D + d], "_l%d%s" % (k, s), d == 1)
                outs.append(y)
                hs.append(h)
                cs.append(c)
            x = torch.cat(outs, dim=-1) if D == 2 else outs[0]
            if self.dropout and self.training and k < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, True)
        y = x.transpose(0, 1) if self.batch_first else x
        return y, (torch.stack(hs), torch.stack(cs))

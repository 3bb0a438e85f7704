"""d2l.ai's from-scratch GRU and RNN ("Gated Recurrent Units",
"Implementation of Recurrent Neural Networks from Scratch"): parameters as
plain tensors (W_xz, W_hz, b_z, ...), `for X in inputs` over time-major
input, the state a 1-tuple, outputs joined with torch.cat(outputs, dim=0)
into [T*B, H] as the book's gru()/rnn() return them. Wrapped in a module
so that the parameters are nn.Parameters."""

import torch
import torch.nn as nn


def _normal(shape):
    return nn.Parameter(torch.randn(size=shape) * 0.3)


class GRUScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.W_xz, self.W_hz, self.b_z = _normal((num_inputs, num_hiddens)), _normal((num_hiddens, num_hiddens)), \
            nn.Parameter(torch.zeros(num_hiddens))
        self.W_xr, self.W_hr, self.b_r = _normal((num_inputs, num_hiddens)), _normal((num_hiddens, num_hiddens)), \
            nn.Parameter(torch.zeros(num_hiddens))
        self.W_xh, self.W_hh, self.b_h = _normal((num_inputs, num_hiddens)), _normal((num_hiddens, num_hiddens)), \
            nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state):
        H, = state
        outputs = []
        for X in inputs:
            Z = torch.sigmoid((X @ self.W_xz) + (H @ self.W_hz) + self.b_z)
            R = torch.sigmoid((X @ self.W_xr) + (H @ self.W_hr) + self.b_r)
            H_tilda = torch.tanh((X @ self.W_xh) + ((R * H) @ self.W_hh) + self.b_h)
            H = Z * H + (1 - Z) * H_tilda
            outputs.append(H)
        return torch.cat(outputs, dim=0), (H,)


class RNNScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.W_xh = _normal((num_inputs, num_hiddens))
        self.W_hh = _normal((num_hiddens, num_hiddens))
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state):
        H, = state
        outputs = []
        for X in inputs:
            H = torch.tanh(torch.mm(X, self.W_xh) + torch.mm(H, self.W_hh) + self.b_h)
            outputs.append(H)
        return torch.cat(outputs, dim=0), (H,)


def example(kind="gru"):
    torch.manual_seed(7)
    m = GRUScratch(5, 8) if kind == "gru" else RNNScratch(5, 8)
    return m, (torch.randn(4, 2, 5), (torch.randn(2, 8),))

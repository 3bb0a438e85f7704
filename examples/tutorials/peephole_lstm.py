"""Peephole LSTM (Gers & Schmidhuber) written by hand: W_* @ x orientation
is avoided by the usual x @ W_x + h @ W_h + c * w_c + b form; the output
gate peeks at the new cell. Exported as an `lstm` layer with
`peephole: true` (weight_pi, weight_pf, weight_po)."""

import torch
import torch.nn as nn


class PeepholeLSTM(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size

        def p(*shape):
            return nn.Parameter(torch.randn(*shape) * 0.3)
        self.W_xi, self.W_hi, self.w_ci, self.b_i = p(input_size, hidden_size), p(hidden_size, hidden_size), \
            p(hidden_size), p(hidden_size)
        self.W_xf, self.W_hf, self.w_cf, self.b_f = p(input_size, hidden_size), p(hidden_size, hidden_size), \
            p(hidden_size), p(hidden_size)
        self.W_xc, self.W_hc, self.b_c = p(input_size, hidden_size), p(hidden_size, hidden_size), p(hidden_size)
        self.W_xo, self.W_ho, self.w_co, self.b_o = p(input_size, hidden_size), p(hidden_size, hidden_size), \
            p(hidden_size), p(hidden_size)

    def forward(self, X):
        T, B, _ = X.shape
        h = torch.zeros(B, self.hidden_size)
        c = torch.zeros(B, self.hidden_size)
        hs = []
        for t in range(T):
            x = X[t]
            i = torch.sigmoid(x @ self.W_xi + h @ self.W_hi + c * self.w_ci + self.b_i)
            f = torch.sigmoid(x @ self.W_xf + h @ self.W_hf + c * self.w_cf + self.b_f)
            c = f * c + i * torch.tanh(x @ self.W_xc + h @ self.W_hc + self.b_c)
            o = torch.sigmoid(x @ self.W_xo + h @ self.W_ho + c * self.w_co + self.b_o)
            h = o * torch.tanh(c)
            hs.append(h)
        return torch.stack(hs, dim=0)


def example():
    torch.manual_seed(3)
    return PeepholeLSTM(3, 6), (torch.randn(5, 2, 3),)

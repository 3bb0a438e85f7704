"""Coupled-gate (CIFG) LSTM written by hand: the input gate is 1 - f, the
gates' parameters are one nn.Linear per gate and input (Wxf, Whf, ...),
time-major input, initial state passed in as an (h, c) tuple. Exported as
an `lstm` layer with `coupled: true`."""

import torch
import torch.nn as nn


class CoupledLSTM(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.Wxf = nn.Linear(input_size, hidden_size)
        self.Whf = nn.Linear(hidden_size, hidden_size, bias=False)
        self.Wxc = nn.Linear(input_size, hidden_size)
        self.Whc = nn.Linear(hidden_size, hidden_size, bias=False)
        self.Wxo = nn.Linear(input_size, hidden_size)
        self.Who = nn.Linear(hidden_size, hidden_size, bias=False)

    def forward(self, inputs, state):
        h, c = state
        outputs = []
        for x in inputs:
            f = torch.sigmoid(self.Wxf(x) + self.Whf(h))
            i = 1 - f
            c_tilde = torch.tanh(self.Wxc(x) + self.Whc(h))
            o = torch.sigmoid(self.Wxo(x) + self.Who(h))
            c = f * c + i * c_tilde
            h = o * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs), (h, c)


def example():
    torch.manual_seed(2)
    H = 7
    return CoupledLSTM(4, H), (torch.randn(6, 3, 4), (torch.randn(3, H), torch.randn(3, H)))

"""A stack of nn.LSTMCell run in a loop over time (the "sequence models"
tutorials' time-series predictor): two cells per step, a linear head on
every step's output inside the loop, batch-first input [B, T] (one
feature, as the post feeds it). Exported as a two-layer `lstm` and a
`linear` layer."""

import torch
import torch.nn as nn


class Sequence(nn.Module):
    def __init__(self, n_in=1, n_hidden=12):
        super().__init__()
        self.n_hidden = n_hidden
        self.lstm1 = nn.LSTMCell(n_in, n_hidden)
        self.lstm2 = nn.LSTMCell(n_hidden, n_hidden)
        self.linear = nn.Linear(n_hidden, 1)

    def forward(self, input):
        outputs = []
        h_t = torch.zeros(input.size(0), self.n_hidden)
        c_t = torch.zeros(input.size(0), self.n_hidden)
        h_t2 = torch.zeros(input.size(0), self.n_hidden)
        c_t2 = torch.zeros(input.size(0), self.n_hidden)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


def example():
    torch.manual_seed(5)
    return Sequence(1, 12), (torch.randn(3, 8),)

"""Bidirectional LSTM by flipping, as the from-scratch posts build it: two
nn.LSTMCell, the second run over the time-reversed input, its outputs
flipped back and concatenated with the first's. Exported as one
bidirectional `lstm` layer."""

import torch
import torch.nn as nn


class BiLSTM(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        self.hidden_size = hidden_size
        self.fwd = nn.LSTMCell(input_size, hidden_size)
        self.bwd = nn.LSTMCell(input_size, hidden_size)
        self.fc = nn.Linear(2 * hidden_size, num_classes)

    def run(self, cell, x):
        h = torch.zeros(x.size(1), self.hidden_size)
        c = torch.zeros(x.size(1), self.hidden_size)
        out = []
        for t in range(x.size(0)):
            h, c = cell(x[t], (h, c))
            out.append(h)
        return torch.stack(out)

    def forward(self, x):
        f = self.run(self.fwd, x)
        b = self.run(self.bwd, torch.flip(x, [0]))
        b = torch.flip(b, [0])
        y = torch.cat([f, b], dim=2)
        return self.fc(y)


def example():
    torch.manual_seed(4)
    return BiLSTM(4, 6, 3), (torch.randn(5, 2, 4),)

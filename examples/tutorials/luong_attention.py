"""Luong "general" attention as PyTorch's chatbot tutorial writes its Attn
class (method "general"): energy = self.attn(encoder_output),
torch.sum(hidden * energy, dim=2), .t(), softmax over the encoder steps,
.unsqueeze(1), then attn_weights.bmm(encoder_outputs.transpose(0, 1)) and
the tutorial's concat layer. Here the query is the encoder's last hidden
state (a classifier), not a decoder step. Exported as seqrt's `attention`
with score general (the Linear's bias adds the same q.b to every score of
a row, so it cannot change the weights and is dropped)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attn(nn.Module):
    def __init__(self, method, hidden_size):
        super(Attn, self).__init__()
        self.method = method
        if self.method not in ['dot', 'general', 'concat']:
            raise ValueError(self.method, "is not an appropriate attention method.")
        self.hidden_size = hidden_size
        if self.method == 'general':
            self.attn = nn.Linear(self.hidden_size, hidden_size)

    def dot_score(self, hidden, encoder_output):
        return torch.sum(hidden * encoder_output, dim=2)

    def general_score(self, hidden, encoder_output):
        energy = self.attn(encoder_output)
        return torch.sum(hidden * energy, dim=2)

    def forward(self, hidden, encoder_outputs):
        # Calculate the attention weights (energies) based on the given method
        if self.method == 'general':
            attn_energies = self.general_score(hidden, encoder_outputs)
        elif self.method == 'dot':
            attn_energies = self.dot_score(hidden, encoder_outputs)
        # Transpose max_length and batch_size dimensions
        attn_energies = attn_energies.t()
        # Return the softmax normalized probability scores (with added dimension)
        return F.softmax(attn_energies, dim=1).unsqueeze(1)


class AttnClassifier(nn.Module):
    def __init__(self, vocab, hidden_size, n_classes, method="general"):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden_size)
        self.encoder = nn.GRU(hidden_size, hidden_size)
        self.attn = Attn(method, hidden_size)
        self.concat = nn.Linear(hidden_size * 2, hidden_size)
        self.out = nn.Linear(hidden_size, n_classes)

    def forward(self, input_seq):
        encoder_outputs, hidden = self.encoder(self.embedding(input_seq))
        attn_weights = self.attn(hidden, encoder_outputs)
        context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
        context = context.squeeze(1)
        concat_input = torch.cat((hidden.squeeze(0), context), 1)
        concat_output = torch.tanh(self.concat(concat_input))
        output = F.softmax(self.out(concat_output), dim=1)
        return output, attn_weights.squeeze(1)


def example(method="general"):
    torch.manual_seed(9)
    return AttnClassifier(25, 10, 4, method), (torch.randint(0, 25, (6, 3)),)

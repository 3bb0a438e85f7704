"""Luong "general" attention as PyTorch's chatbot tutorial writes it
(class Attn, method "general"): energy = self.attn(encoder_output),
torch.sum(hidden * energy, dim=2), softmax over the encoder steps, then
attn_weights.bmm(encoder_outputs.transpose(0, 1)). Here one decoder step
(a GRU over the embedded input word) attends over a GRU encoder.
Exported as seqrt's `attention` with score general (the Linear's bias
adds the same q.b to every score, so it cannot change the weights and is
dropped)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attn(nn.Module):
    def __init__(self, method, hidden_size):
        super(Attn, self).__init__()
        self.method = method
        self.hidden_size = hidden_size
        self.attn = nn.Linear(self.hidden_size, hidden_size)

    def general_score(self, hidden, encoder_output):
        energy = self.attn(encoder_output)
        return torch.sum(hidden * energy, dim=2)

    def forward(self, hidden, encoder_outputs):
        attn_energies = self.general_score(hidden, encoder_outputs)
        attn_energies = attn_energies.t()
        return F.softmax(attn_energies, dim=1).unsqueeze(1)


class Seq2SeqStep(nn.Module):
    def __init__(self, vocab, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden_size)
        self.encoder = nn.GRU(hidden_size, hidden_size)
        self.decoder = nn.GRU(hidden_size, hidden_size)
        self.attn = Attn("general", hidden_size)
        self.concat = nn.Linear(hidden_size * 2, hidden_size)
        self.out = nn.Linear(hidden_size, vocab)

    def forward(self, input_seq, input_step):
        encoder_outputs, encoder_hidden = self.encoder(self.embedding(input_seq))
        rnn_output, hidden = self.decoder(self.embedding(input_step), encoder_hidden)
        attn_weights = self.attn(rnn_output, encoder_outputs)
        context = attn_weights.bmm(encoder_outputs.transpose(0, 1))
        rnn_output = rnn_output.squeeze(0)
        context = context.squeeze(1)
        concat_input = torch.cat((rnn_output, context), 1)
        concat_output = torch.tanh(self.concat(concat_input))
        output = F.softmax(self.out(concat_output), dim=1)
        return output, hidden

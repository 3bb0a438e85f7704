"""Dot-product attention over an LSTM's outputs with its last hidden
state as the query (the "LSTM with attention for text classification"
posts): bmm of the outputs with h_n.squeeze(0).unsqueeze(2), softmax over
time, bmm back, batch-first. Exported as seqrt's `attention` (score dot)
with query h_n[-1]."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class AttentionModel(nn.Module):
    def __init__(self, vocab_size, embedding_length, hidden_size, output_size):
        super().__init__()
        self.hidden_size = hidden_size
        self.word_embeddings = nn.Embedding(vocab_size, embedding_length)
        self.lstm = nn.LSTM(embedding_length, hidden_size, batch_first=True)
        self.label = nn.Linear(hidden_size, output_size)

    def attention_net(self, lstm_output, final_state):
        hidden = final_state.squeeze(0)
        attn_weights = torch.bmm(lstm_output, hidden.unsqueeze(2)).squeeze(2)
        soft_attn_weights = F.softmax(attn_weights, 1)
        new_hidden_state = torch.bmm(lstm_output.transpose(1, 2), soft_attn_weights.unsqueeze(2)).squeeze(2)
        return new_hidden_state

    def forward(self, input_sentences):
        input = self.word_embeddings(input_sentences)
        output, (final_hidden_state, final_cell_state) = self.lstm(input)
        attn_output = self.attention_net(output, final_hidden_state)
        logits = self.label(attn_output)
        return logits


def example():
    torch.manual_seed(8)
    return AttentionModel(30, 8, 10, 2), (torch.randint(0, 30, (3, 7)),)

"""Self-attention pooling classifier (the "attention for text
classification" posts, after Yang et al. / Lin et al.): a BiLSTM, scores
Linear(tanh(Linear(h))) with one output per step, .squeeze(-1), softmax
over time, torch.sum(lstm_out * weights.unsqueeze(-1), dim=1). Exported
as seqrt's `attention_pool` (activation tanh) whose weights are the two
Linears'."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttentionClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, attn_dim, n_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.attention = nn.Sequential(
            nn.Linear(2 * hidden_dim, attn_dim),
            nn.Tanh(),
            nn.Linear(attn_dim, 1),
        )
        self.fc = nn.Linear(2 * hidden_dim, n_classes)

    def forward(self, x):
        embedded = self.embedding(x)                      # [B, T, E]
        lstm_out, _ = self.lstm(embedded)                 # [B, T, 2H]
        scores = self.attention(lstm_out).squeeze(-1)     # [B, T]
        weights = F.softmax(scores, dim=1)                # [B, T]
        pooled = torch.sum(lstm_out * weights.unsqueeze(-1), dim=1)   # [B, 2H]
        return self.fc(pooled), weights


def example():
    torch.manual_seed(10)
    return SelfAttentionClassifier(40, 8, 6, 5, 3), (torch.randint(0, 40, (3, 7)),)

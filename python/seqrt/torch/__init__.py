"""Drop-in PyTorch modules for what torch.nn lacks, computing exactly the
seqrt format's equations and exported exactly by seqrt.export:

    import seqrt.torch as st
    rnn = st.LSTM(16, 32, num_layers=2, coupled=True, peephole=True)

LSTM (lstm.py): nn.LSTM's arguments plus coupled and peephole. Attention,
AttentionPool, LastStep, MeanPool and the masks lengths_mask, causal_mask
are the spec's attention modules (defined in seqrt.export.modules)."""

from ..export.modules import Attention, AttentionPool, LastStep, MeanPool, causal_mask, lengths_mask
from .lstm import LSTM

__all__ = ["LSTM", "Attention", "AttentionPool", "LastStep", "MeanPool", "lengths_mask", "causal_mask"]

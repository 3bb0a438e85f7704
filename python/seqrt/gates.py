"""Gate orders of the recurrent cells, and the reordering between them.

seqrt stores recurrent weights as PyTorch does (LSTM rows i, f, g, o; GRU
rows r, z, n). ONNX stacks the gate rows in its own order (LSTM i, o, f, c;
GRU z, r, h); ONNX_GATE_PERM[op][k] is the ONNX block that becomes the k-th
PyTorch block.
"""

import numpy as np

__all__ = ["ONNX_GATE_PERM", "ONNX_PEEPHOLE_ORDER", "reorder_gates"]

ONNX_GATE_PERM = {"LSTM": [0, 2, 3, 1],   # i, o, f, c -> i, f, g(=c), o
                  "GRU": [1, 0, 2],       # z, r, h -> r, z, n
                  "RNN": [0]}

# ONNX's peephole vector P = [p_i, p_o, p_f]: block index of each of seqrt's
# weight_pi, weight_pf, weight_po
ONNX_PEEPHOLE_ORDER = {"weight_pi": 0, "weight_pf": 2, "weight_po": 1}


def reorder_gates(w, perm, H):
    """The gate row blocks (H rows each) of `w` in the order `perm`."""
    return np.concatenate([w[g * H:(g + 1) * H] for g in perm], axis=0)

"""Gate orders of the recurrent cells, and the reordering between them.

seqrt stores recurrent weights as PyTorch does (LSTM rows i, f, g, o; GRU
rows r, z, n). ONNX stacks the gate rows in its own order (LSTM i, o, f, c;
GRU z, r, h); ONNX_GATE_PERM[op][k] is the ONNX block that becomes the k-th
PyTorch block. onnx_recurrent_weights() turns an ONNX node's W, R, B, P
into seqrt's named weights (the ONNX importer and tools/goldens use it).
"""

from collections import OrderedDict

import numpy as np

__all__ = ["ONNX_GATE_PERM", "ONNX_PEEPHOLE_ORDER", "reorder_gates", "onnx_recurrent_weights"]

ONNX_GATE_PERM = {"LSTM": [0, 2, 3, 1],   # i, o, f, c -> i, f, g(=c), o
                  "GRU": [1, 0, 2],       # z, r, h -> r, z, n
                  "RNN": [0]}

# ONNX's peephole vector P = [p_i, p_o, p_f]: block index of each of seqrt's
# weight_pi, weight_pf, weight_po
ONNX_PEEPHOLE_ORDER = {"weight_pi": 0, "weight_pf": 2, "weight_po": 1}


def reorder_gates(w, perm, H):
    """The gate row blocks (H rows each) of `w` in the order `perm`."""
    return np.concatenate([w[g * H:(g + 1) * H] for g in perm], axis=0)


def onnx_recurrent_weights(op, W, R, B, P, H, prefix=""):
    """seqrt's weights of one layer from ONNX `op`'s ("LSTM", "GRU", "RNN")
    W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] or None and (LSTM) P
    [D, 3*H] or None: {prefix + name: array} in the order weight_ih,
    weight_hh, bias_ih, bias_hh, weight_pi/pf/po of each direction, named
    "_l0" for direction 0 (forward, or the only one of a reverse layer) and
    "_l0_reverse" for direction 1."""
    perm = ONNX_GATE_PERM[op]
    G = len(perm)
    w = OrderedDict()
    for d in range(W.shape[0]):
        s = "_l0_reverse" if d else "_l0"
        w[prefix + "weight_ih" + s] = reorder_gates(W[d], perm, H)
        w[prefix + "weight_hh" + s] = reorder_gates(R[d], perm, H)
        if B is not None:
            w[prefix + "bias_ih" + s] = reorder_gates(B[d][:G * H], perm, H)
            w[prefix + "bias_hh" + s] = reorder_gates(B[d][G * H:], perm, H)
        if P is not None:   # ONNX P = [p_i, p_o, p_f]
            for k, blk in ONNX_PEEPHOLE_ORDER.items():
                w[prefix + k + s] = P[d][blk * H:(blk + 1) * H]
    return w

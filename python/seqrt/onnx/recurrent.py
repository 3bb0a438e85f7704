"""LSTM, GRU and RNN (their format 1.1 attributes resolved by rnn_attrs),
and the Squeeze / Transpose / Reshape after them that only turn ONNX's
Y [T, D, B, H] into seqrt's [T, B, D*H]."""

from collections import OrderedDict

import numpy as np

from ..gates import ONNX_GATE_PERM, onnx_recurrent_weights
from .rnn_attrs import rnn_attributes
from .values import _C, _Shape, _V


class _RecurrentOps:
    """Mixin of _Converter: the recurrent ops and the layout plumbing."""

    def op_LSTM(self, node, a):
        return self.recurrent(node, a)

    def op_GRU(self, node, a):
        return self.recurrent(node, a)

    def op_RNN(self, node, a):
        return self.recurrent(node, a)

    def recurrent(self, node, a, quant=False):
        """An LSTM / GRU / RNN node, or (quant) a com.microsoft
        DynamicQuantizeLSTM: the same LSTM with int8 W, R and their scales
        (quantized.py), an int8-dynamic lstm layer."""
        op = "LSTM" if quant else node.op_type
        kind = op.lower()
        D = 2 if a.get("direction", "forward") == "bidirectional" else 1
        fmt, v11 = rnn_attributes(op, D, a, self.notes, lambda msg: self.err(node, msg))
        if quant:
            for k in fmt:
                if k != "direction":
                    self.err(node, "attribute %s: PyTorch's quantized LSTM (format 1.2 int8-dynamic) has no %s; "
                             "only the default gate functions, no clip, no input_forget" % (
                                 "activations" if k.startswith("activation") else k, k))
            if self.get(node, 7) is not None:
                self.err(node, "input 7 (P, peepholes): format 1.2's int8-dynamic lstm has no peepholes "
                         "(PyTorch's quantized LSTM has none)")
        layout = int(a.get("layout", 0))
        if layout not in (0, 1):
            self.err(node, "layout=%d is not 0 or 1" % layout)
        x = self.value(node, 0, "X", swap_ok=True)
        self.set_bf(node, bool(layout) != x.swap)
        if quant:
            H = int(a["hidden_size"]) if "hidden_size" in a else int(np.shape(self.const(node, 2, "R"))[1])
            W, R, scales = self.quant_lstm_weights(node, D, H)
        else:
            W = self.const(node, 1, "W")
            R = self.const(node, 2, "R")
        B = self.const(node, 3, "B", optional=True)
        seq = self.get(node, 4)
        h0 = self.get(node, 5)
        c0 = self.get(node, 6) if op == "LSTM" else None
        P = self.const(node, 7, "P", optional=True) if op == "LSTM" else None
        G = len(ONNX_GATE_PERM[op])
        if W.ndim != 3 or R.ndim != 3:
            self.err(node, "W %s / R %s must be 3-D" % (W.shape, R.shape))
        H = int(a["hidden_size"]) if "hidden_size" in a else int(R.shape[2])
        I = W.shape[2]
        if W.shape != (D, G * H, I) or R.shape != (D, G * H, H):
            self.err(node, "W %s / R %s do not match hidden_size %d, %d direction(s)" % (W.shape, R.shape, H, D))
        if B is not None and B.shape != (D, 2 * G * H):
            self.err(node, "B %s is not [%d, %d]" % (B.shape, D, 2 * G * H))
        if P is not None and P.shape != (D, 3 * H):
            self.err(node, "P %s is not [%d, %d]" % (P.shape, D, 3 * H))
        w = onnx_recurrent_weights(op, W, R, B, P, H)
        if quant:
            w = self.quant_lstm_scales(w, scales, D, H)
            self.int8_layer()
        if v11:
            self.version_1_1 = True
        start, (h0, c0) = self.stack_start(node, [h0, c0], D, layout)
        if quant and start is not None:
            self.err(node, "its initial states are slices of a stacked state: seqrt maps a DynamicQuantizeLSTM "
                     "as one layer of its own (give each node its own initial-state inputs)")
        ins = OrderedDict([("x", x.name)])
        for slot, r in (("h0", h0), ("c0", c0)):
            r = self.whole(r)   # a one-layer stack's state is the whole state
            if r is None or (isinstance(r, _Shape) and r.zeros):
                continue
            if isinstance(r, _C):
                if np.any(r.value != 0):
                    self.err(node, "a constant non-zero initial state: seqrt takes initial states as inputs")
                continue
            if not isinstance(r, _V) or r.form is not None:
                self.err(node, "the initial state must be a graph input or computed value")
            if layout:
                # ONNX [B, D, H]; seqrt's states are [D, B, H]: only a graph input can be re-laid out
                src = [k for k, (n, _) in self.in_map.items() if n == r.name]
                if not src:
                    self.err(node, "under layout 1 the initial state must be a graph input (seqrt takes it as "
                             "[D, B, H])")
                self.in_map[src[0]] = (r.name, "transpose(1,0,2)")
                shp = self.inputs[r.name][1]
                if len(shp) == 3:
                    self.inputs[r.name][1] = [shp[1], shp[0], shp[2]]
            ins[slot] = r.name
        if seq is not None and not (isinstance(seq, _Shape)):
            if isinstance(seq, _C):
                self.err(node, "a constant sequence_lens: give it as a graph input (seqrt's lengths)")
            ins["lengths"] = self.value(node, 4, "sequence_lens").name
            if quant:
                self.notes.append(
                    "%s '%s': with sequence_lens of unequal lengths ONNX Runtime quantizes a step's h over every "
                    "batch entry (an entry that ended at the step before included) and the reverse direction's "
                    "steps aligned at each entry's end; seqrt, as PyTorch, over the entries running at that time "
                    "step: the outputs then differ by about a quantization step of h, the order of int8's own error "
                    "(docs/interop.md)"
                    % (node.op_type, node.name or node.output[0]))
        attrs = OrderedDict([("input_size", int(I)), ("hidden_size", H)])
        if D == 2:
            attrs["bidirectional"] = True
        if B is None:
            attrs["bias"] = False
        if P is not None:
            attrs["peephole"] = True
        if op == "GRU":
            attrs["linear_before_reset"] = bool(a.get("linear_before_reset", 0))
        attrs.update(fmt)
        if quant:
            attrs["precision"] = "int8-dynamic"
        if start:   # a further layer of a stack (stack.py)
            name, k = self.stack_add(node, start, x, ins, attrs, w, D)
            return [_V(name, ("Y", D, H, layout), name, swap=x.swap)] + self.stack_outputs(name, k, op == "LSTM")
        name = self.layer(node, kind, ins, attrs, w)
        outs = [_V(name, ("Y", D, H, layout), name, swap=x.swap)]
        if start == 0:   # the first layer of a stack: its states are parts of the stack's
            self.stack_new(node, name, ins, attrs, kind)
            return outs + self.stack_outputs(name, 0, op == "LSTM")
        outs.append(_V(name + ":h_n", ("S",) if layout else None, name))
        if op == "LSTM":
            outs.append(_V(name + ":c_n", ("S",) if layout else None, name))
        return outs

    # ---- layout plumbing after an RNN
    def op_Squeeze(self, node, a):
        r = self.get(node, 0)
        axes = a.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = [int(v) for v in np.asarray(self.const(node, 1, "axes")).reshape(-1)]
        if isinstance(r, _V) and r.form and r.form[0] == "Y":
            _, D, H, layout = r.form
            want = 2 if layout else 1
            if D == 1 and axes is not None and [x % 4 for x in axes] == [want]:
                return _V(r.name, None, r.layer, r.swap)
        if isinstance(r, _Shape):
            return r
        self.err(node, "Squeeze is only supported to drop the direction axis of a one-direction RNN's Y")

    def op_Transpose(self, node, a):
        r = self.get(node, 0)
        perm = list(a.get("perm", []))
        if isinstance(r, _V) and r.form and r.form[0] == "Y" and not r.form[3] and perm == [0, 2, 1, 3]:
            return _V(r.name, ("Yt", r.form[1], r.form[2]), r.layer, r.swap)
        if isinstance(r, _V) and r.form is None and perm == [1, 0, 2]:
            return _V(r.name, None, r.layer, not r.swap)
        self.err(node, "Transpose is only supported to exchange a sequence's first two axes ([T, B, F] <-> "
                 "[B, T, F]) or to turn an RNN's Y [T, D, B, H] into [T, B, D, H]")

    def op_Reshape(self, node, a):
        r = self.get(node, 0)
        target = self.get(node, 1)
        if isinstance(r, _V) and r.form and r.form[0] in ("Y", "Yt") and isinstance(target, _C):
            t = [int(v) for v in target.value.reshape(-1)]
            D, H = r.form[1], r.form[2]
            ok_y = r.form[0] == "Yt" or (r.form[0] == "Y" and (D == 1 or r.form[3] == 1))
            if ok_y and len(t) == 3 and t[2] in (-1, D * H) and all(v in (0, -1) or v > 0 for v in t[:2]):
                return _V(r.name, None, r.layer, r.swap)
        self.err(node, "Reshape is only supported to merge an RNN's Y directions into [T, B, D*H]")

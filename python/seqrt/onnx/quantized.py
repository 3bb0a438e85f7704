"""ONNX Runtime's dynamically quantized forms (onnxruntime.quantization.
quantize_dynamic) as format 1.2 int8-dynamic layers:

- com.microsoft DynamicQuantizeLSTM (int8 W [D, I, 4H], R [D, H, 4H],
  scales per direction [D] or per row [D, 4H], zero points 0) -> an `lstm`
  layer of precision int8-dynamic with ORT's codes and scales as they are,
  transposed to PyTorch's [4H, I] and reordered from ONNX's gates i, o, f, c
  to i, f, g, o (recurrent.py does the rest of the node);
- DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp, W_zp) ->
  Cast(float) -> Mul(., Mul(x_scale, W_scale)) [-> Add(bias)] -> a `linear`
  of precision int8-dynamic, weight W_q transposed to [N, K], scale W_scale
  ([1] or one per output column).

Both quantize their activations as DynamicQuantizeLinear does (uint8,
asymmetric, the range of the whole input widened to 0, 255 steps): the
model's int8_rule is "qnnpack", whose input quantization is the same up to
the differences docs/interop.md lists. What cannot be mapped exactly is
refused naming the node and input (non-zero or uint8 weights, peepholes,
clip, input_forget, other gate functions, a part of the Linear pattern used
elsewhere), never computed in float32 instead."""

from collections import OrderedDict

import numpy as np

from ..gates import ONNX_GATE_PERM, reorder_gates
from .values import _C, _V

# the ops whose presence makes a graph int8: no recording-path fallback (it has no int8 form)
INT8_OPS = {"DynamicQuantizeLSTM", "DynamicQuantizeLinear", "MatMulInteger"}
MS_OPS = {"DynamicQuantizeLSTM"}   # com.microsoft ops the converter takes
INT8_RULE = "qnnpack"


class _QPart:
    """A part of the dynamic-quantized Linear pattern: `kind` "q", "scale",
    "zp" (DynamicQuantizeLinear's outputs for the value x), "acc" (the int32
    MatMulInteger), "accf" (after the Cast to float), "ws" (x_scale * W_scale).
    dq: the DynamicQuantizeLinear node's name (to check that the parts match)."""

    def __init__(self, kind, dq, x=None, wq=None, wscale=None, node=None):
        self.kind, self.dq, self.x, self.wq, self.wscale, self.node = kind, dq, x, wq, wscale, node


_WHAT = {"q": "DynamicQuantizeLinear's y (uint8 codes)", "scale": "DynamicQuantizeLinear's y_scale",
         "zp": "DynamicQuantizeLinear's y_zero_point", "acc": "a MatMulInteger's int32 product",
         "accf": "a MatMulInteger's product cast to float", "ws": "the product of the scales x_scale * W_scale"}


def _nodename(node):
    return node.name or node.output[0]


class _QuantOps:
    """Mixin of _Converter: DynamicQuantizeLSTM and the dynamic-quantized
    Linear pattern."""

    def quant_inputs_check(self, node, ins):
        """A part of the Linear pattern read by a node that is not the
        pattern's next step: refused, naming node and input."""
        allowed = {"MatMulInteger": ("q", "zp"), "Cast": ("acc",), "Mul": ("scale", "accf", "ws")}
        for i, r in enumerate(ins):
            if isinstance(r, _QPart) and r.kind not in allowed.get(node.op_type, ()):
                self.err(node, "input %d ('%s') is %s: seqrt maps DynamicQuantizeLinear only as "
                         "DynamicQuantizeLinear -> MatMulInteger -> Cast(float) -> Mul(x_scale * W_scale), "
                         "and nothing else may read its parts" % (i, node.input[i], _WHAT[r.kind]))

    def int8_layer(self):
        self.int8_rule = INT8_RULE

    # ---- DynamicQuantizeLSTM
    def op_DynamicQuantizeLSTM(self, node, a):
        return self.recurrent(node, a, quant=True)

    def quant_lstm_weights(self, node, D, H):
        """(W [D, 4H, I] int8, R [D, 4H, H] int8, [W scale, R scale] each
        [D] or [D, 4H] in ONNX's row order) of a DynamicQuantizeLSTM."""
        mats = []
        for i, nm in ((1, "W"), (2, "R")):
            r = self.get(node, i)
            if not isinstance(r, _C):
                self.err(node, "input %d (%s) must be a constant int8 initializer" % (i, nm))
            q = r.value
            if q.dtype == np.uint8:
                self.err(node, "input %d (%s) is uint8 (weight_type QUInt8, asymmetric): seqrt's int8 weights "
                         "are signed and symmetric; quantize with weight_type=QuantType.QInt8" % (i, nm))
            if q.dtype != np.int8:
                self.err(node, "input %d (%s) has element type %s; DynamicQuantizeLSTM's weights are int8"
                         % (i, nm, q.dtype))
            if q.ndim != 3 or q.shape[0] != D or q.shape[2] != 4 * H or (i == 2 and q.shape[1] != H):
                self.err(node, "input %d (%s) has shape %s; DynamicQuantizeLSTM's is [%d, %s, %d]"
                         % (i, nm, list(q.shape), D, "input_size" if i == 1 else H, 4 * H))
            mats.append(np.ascontiguousarray(np.transpose(q, (0, 2, 1))))
        scales = []
        for i, nm, zi, zn in ((8, "W_scale", 9, "W_zero_point"), (10, "R_scale", 11, "R_zero_point")):
            s = self.const(node, i, "input %d (%s)" % (i, nm), optional=True)
            if s is None:
                self.err(node, "input %d (%s) is missing" % (i, nm))
            s = np.asarray(s, np.float32)
            if s.shape not in ((D,), (D, 4 * H)):
                self.err(node, "input %d (%s) has shape %s: [%d] (per direction) or [%d, %d] (per row)"
                         % (i, nm, list(s.shape), D, D, 4 * H))
            if not (np.all(np.isfinite(s)) and np.all(s > 0)):
                self.err(node, "input %d (%s) has a scale that is not finite and > 0" % (i, nm))
            z = self.get(node, zi)
            if z is not None:
                if not isinstance(z, _C):
                    self.err(node, "input %d (%s) must be a constant" % (zi, zn))
                if z.value.size not in (1, s.size) or np.any(z.value != 0):
                    self.err(node, "input %d (%s) is not all zero: seqrt's int8 weights are symmetric (zero "
                             "point 0, as PyTorch's dynamic quantization stores them)" % (zi, zn))
            scales.append(s)
        return mats[0], mats[1], scales

    def quant_lstm_scales(self, w, scales, D, H):
        """Adds `<param>.scale` of every int8 matrix of w (ONNX row order
        reordered as the matrix's rows)."""
        perm = ONNX_GATE_PERM["LSTM"]
        out = OrderedDict()
        for k, v in w.items():
            out[k] = v
            for d in range(D):
                s = "_l0_reverse" if d else "_l0"
                for p, sc in (("weight_ih", scales[0]), ("weight_hh", scales[1])):
                    if k == p + s:
                        out[k + ".scale"] = reorder_gates(sc[d], perm, H).astype(np.float32) if sc.ndim == 2 \
                            else np.array([sc[d]], np.float32)
        return out

    # ---- the Linear pattern
    def op_DynamicQuantizeLinear(self, node, a):
        x = self.value(node, 0, "x", swap_ok=True)
        dq = _nodename(node)
        return [_QPart(k, dq, x=x) for k in ("q", "scale", "zp")]

    def op_MatMulInteger(self, node, a):
        A = self.get(node, 0)
        if not (isinstance(A, _QPart) and A.kind == "q"):
            self.err(node, "input 0 (A) must be the y of a DynamicQuantizeLinear (the dynamic-quantized Linear "
                     "pattern); seqrt has no integer tensors")
        zp = self.get(node, 2)
        if not (isinstance(zp, _QPart) and zp.kind == "zp" and zp.dq == A.dq):
            self.err(node, "input 2 (a_zero_point) must be the y_zero_point of the DynamicQuantizeLinear '%s' "
                     "that makes input 0" % A.dq)
        B = self.get(node, 1)
        if not isinstance(B, _C):
            self.err(node, "input 1 (B) must be a constant int8 initializer")
        Wq = B.value
        if Wq.dtype == np.uint8:
            self.err(node, "input 1 (B) is uint8 (weight_type QUInt8, asymmetric): seqrt's int8 weights are "
                     "signed and symmetric; quantize with weight_type=QuantType.QInt8")
        if Wq.dtype != np.int8 or Wq.ndim != 2:
            self.err(node, "input 1 (B) is %s of shape %s: seqrt's int8 linear takes an int8 [K, N] matrix"
                     % (Wq.dtype, list(Wq.shape)))
        bz = self.get(node, 3)
        if bz is not None:
            if not isinstance(bz, _C):
                self.err(node, "input 3 (b_zero_point) must be a constant")
            if bz.value.size not in (1, Wq.shape[1]) or np.any(bz.value != 0):
                self.err(node, "input 3 (b_zero_point) is not all zero: seqrt's int8 weights are symmetric "
                         "(zero point 0)")
        return _QPart("acc", A.dq, x=A.x, wq=Wq, node=_nodename(node))

    def op_Cast(self, node, a):
        r = self.get(node, 0)
        if isinstance(r, _QPart):
            if int(a.get("to", 0)) != 1:
                self.err(node, "Cast of a MatMulInteger's product to element type %s: the dynamic-quantized "
                         "Linear pattern casts it to float (1)" % a.get("to"))
            return _QPart("accf", r.dq, x=r.x, wq=r.wq, node=r.node)
        return super().op_Cast(node, a)

    def op_Mul(self, node, a):
        x, y = self.get(node, 0), self.get(node, 1)
        if not (isinstance(x, _QPart) or isinstance(y, _QPart)):
            return super().op_Mul(node, a)
        p, o = (x, y) if isinstance(x, _QPart) else (y, x)
        pi = 0 if p is x else 1
        if p.kind == "scale":
            if not isinstance(o, _C):
                self.err(node, "input %d ('%s') is DynamicQuantizeLinear's y_scale: seqrt maps it multiplied "
                         "by a constant weight scale only" % (pi, node.input[pi]))
            s = np.asarray(o.value, np.float32)
            if not (np.all(np.isfinite(s)) and np.all(s > 0)):
                self.err(node, "input %d ('%s'), the weight scale, has a value that is not finite and > 0"
                         % (1 - pi, node.input[1 - pi]))
            return _QPart("ws", p.dq, wscale=s)
        if isinstance(o, _QPart) and {p.kind, o.kind} == {"accf", "ws"}:
            acc, ws = (p, o) if p.kind == "accf" else (o, p)
            if acc.dq != ws.dq:
                self.err(node, "the product of MatMulInteger '%s' is scaled by the y_scale of another "
                         "DynamicQuantizeLinear ('%s', its input is quantized by '%s')" % (acc.node, ws.dq, acc.dq))
            return self.quant_linear(node, acc, ws.wscale)
        self.err(node, "input %d ('%s') is %s: the dynamic-quantized Linear pattern multiplies the cast "
                 "MatMulInteger product by x_scale * W_scale, nothing else" % (pi, node.input[pi], _WHAT[p.kind]))

    def quant_linear(self, node, acc, wscale):
        K, N = acc.wq.shape
        s = wscale.reshape(-1)
        if wscale.ndim > 2 or s.size not in (1, N) or (wscale.ndim == 2 and wscale.shape[0] != 1):
            self.err(node, "the weight scale has shape %s: one per tensor or one per output column ([%d])"
                     % (list(wscale.shape), N))
        self.int8_layer()
        x = acc.x
        attrs = OrderedDict([("in_features", int(K)), ("out_features", int(N)), ("bias", False),
                             ("precision", "int8-dynamic")])
        name = self.layer(node, "linear", {"x": x.name}, attrs,
                          OrderedDict([("weight", np.ascontiguousarray(acc.wq.T)),
                                       ("weight.scale", s.astype(np.float32))]))
        return _V(name, swap=x.swap)

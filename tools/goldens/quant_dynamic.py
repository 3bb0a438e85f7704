"""NumPy oracle of PyTorch 1.13's int8 dynamic quantization
(torch.ao.quantization.quantize_dynamic) of nn.Linear, nn.LSTM and nn.GRU on
the two CPU engines Debian's torch has, qnnpack and onednn (no fbgemm).

It is the reference the seqrt format's `int8-dynamic` precision is written
from (docs/model-format/quantization.md) and the oracle of the quantized
goldens. What it implements, found in torch's source and checked against
torch by selftest():

- weights (quantize_weight): MinMaxObserver / PerChannelMinMaxObserver,
  qint8 symmetric: a = max(|min w|, |max w|) (per tensor, or per output
  row), s = max(f32(a / 127.5), FLT_EPSILON) in float32, zero point 0,
  q = clamp(rint(w * f32(1 / s)), -128, 127), rint rounding half to even.
  An LSTM/GRU weight_ih_lK / weight_hh_lK is one tensor (all gates).
- activations (choose_qparams, quantize_input): every call of the dynamic
  linear takes min and max of its whole float input, widened to contain 0,
  and picks uint8 parameters with quant_utils::ChooseQuantizationParams
  over [0, qmax]: qmax = 255, or 127 where the engine honours reduce_range
  (onednn; qnnpack ignores it). The modules always pass reduce_range=True.
- the product: int32 sum over k of (xq - zx) * wq (exact: no saturation on
  either engine with these ranges), then per engine (linear_dynamic):
    qnnpack: y = f32(f32(acc) * f32(sw * f32(sx))) + b
    onednn:  g = f32(f32(1 / sx) * f32(1 / sw)),
             y = f32(f32(f32(acc) + f32(b * g)) * f32(1 / g))
  and the input is quantized as
    qnnpack: xq = clamp(zx + rint(x * f32(1 / f32(sx))), 0, 255)
    onednn:  xq = clamp(rint(f32(f32(x * f32(1 / sx)) + zx)), 0, 255)
  (sx is the double the qparams give; f32() is rounding to float32).
- LSTM/GRU (lstm_dynamic, gru_dynamic): torch's CPU path quantizes the
  input projection once per layer and direction over the whole sequence
  [T, B, I] (the bias b_ih inside), and the hidden projection once per step
  over h_{t-1} [B, H] of that direction (b_hh inside; h0 = 0 gives scale
  0.1, zero point 0). The cell's float parts, in this order:
    LSTM: g = f32(hh + ih); i, f, o = sigmoid, c~ = tanh (gate order i f g
          o); c = f32(f32(f * c) + f32(i * c~)); h = f32(o * tanh(c))
    GRU:  r = sigmoid(f32(hh_r + ih_r)), z = sigmoid(f32(hh_z + ih_z)),
          n = tanh(f32(ih_n + f32(hh_n * r))),
          h = f32(f32(f32(h - n) * z) + n)
  A second layer reads the first layer's output ([T, B, D*H], the two
  directions concatenated) as one tensor. With lengths (torch's
  pack_padded_sequence) the input projection takes the real steps only and
  each step's hidden projection the entries still running.
- torch 1.13's onednn has a bug the oracle does not copy: a call of another
  input shape than the module's first, with the s_x of an earlier call,
  reuses that call's zero point in the product (ONEDNN_STALE_ZP in the
  selftest shows it); goldens avoid it.

The cells' sigmoid and tanh are a parameter: NUMPY_FNS (float64, rounded
to float32) or TORCH_FNS (torch's own float32 kernels). With TORCH_FNS the
oracle reproduces torch bit for bit; with NUMPY_FNS a 1-ulp difference in a
sigmoid/tanh can move an element of h across a rounding boundary of the next
step's quantization, so the outputs then agree to a few quantization steps,
not to float32 rounding (selftest() measures both).

    /usr/bin/python3 tools/goldens/quant_dynamic.py --selftest

runs the comparison (ctest: goldens_quant_selftest); it exits 77 when torch
is missing and 1 on any disagreement.
"""

import sys

import numpy as np

F32 = np.float32
SMALL_SCALE_THRESHOLD = F32(6.1e-5)  # quant_utils.h (float)
ENGINES = ("qnnpack", "onednn")


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(F32) if np.ndim(a) else F32(a)


# ---------------------------------------------------------------- weights

def quantize_weight(w, per_channel=False):
    """(q int8 [rows, cols], scale float32 [1] or [rows]) as quantize_dynamic
    stores a Linear/LSTM/GRU weight with the default qconfig (per tensor)
    or per_channel_dynamic_qconfig (per output row, axis 0)."""
    w = np.asarray(w, dtype=F32)
    if per_channel:
        lo, hi = w.min(axis=1), w.max(axis=1)
    else:
        lo, hi = np.array([w.min()], F32), np.array([w.max()], F32)
    a = np.maximum(-np.minimum(lo, F32(0)), np.maximum(hi, F32(0)))
    scale = np.maximum(a / F32(127.5), np.finfo(F32).eps).astype(F32)
    inv = (F32(1) / scale).astype(F32)
    rows = inv[:, None] if per_channel else inv[0]
    q = np.clip(np.rint(w * rows), -128, 127).astype(np.int8)
    return q, scale


# ------------------------------------------------------------ activations

def choose_qparams(xmin, xmax, qmax):
    """quant_utils::ChooseQuantizationParams(min, max, 0, qmax) with
    preserve_sparsity and force_scale_power_of_two off: (scale as a Python
    float, i.e. the C++ double, zero point int)."""
    qmin = 0
    lo, hi = min(float(F32(xmin)), 0.0), max(float(F32(xmax)), 0.0)
    scale = (hi - lo) / (qmax - qmin)
    if F32(scale) == 0 or np.isinf(F32(1) / F32(scale)):
        scale = 0.1
    if scale < float(SMALL_SCALE_THRESHOLD):
        org = scale
        scale = float(SMALL_SCALE_THRESHOLD)
        if lo == 0.0:  # float min, max in C++
            hi = float(SMALL_SCALE_THRESHOLD * F32(qmax - qmin))
        elif hi == 0.0:
            lo = -float(SMALL_SCALE_THRESHOLD * F32(qmax - qmin))
        else:
            amp = F32(SMALL_SCALE_THRESHOLD / F32(org))
            lo, hi = float(F32(lo) * amp), float(F32(hi) * amp)
    zp_min = qmin - lo / scale
    zp_max = qmax - hi / scale
    err_min = abs(qmin) - abs(lo / scale)
    err_max = abs(qmax) - abs(hi / scale)
    z = zp_min if err_min < err_max else zp_max
    zp = qmin if z < qmin else qmax if z > qmax else int(np.rint(z))
    return scale, zp


def input_qmax(engine, reduce_range=True):
    """qnnpack ignores reduce_range (it warns once); onednn honours it."""
    check_engine(engine)
    return 127 if (engine == "onednn" and reduce_range) else 255


def quantize_input(x2, scale, zp, engine):
    """uint8 codes (as int64) of a float32 matrix with the call's qparams."""
    if engine == "qnnpack":
        inv = F32(1) / F32(scale)
        q = np.rint(x2 * inv) + zp
    else:
        inv = F32(1.0 / scale)
        q = np.rint((x2 * inv).astype(F32) + F32(zp))
    return np.clip(q, 0, 255).astype(np.int64)


def check_engine(engine):
    if engine not in ENGINES:
        raise ValueError("engine must be one of %s, got %r" % (", ".join(ENGINES), engine))


# ----------------------------------------------------------------- linear

def linear_dynamic(x, wq, wscale, bias, engine, reduce_range=True):
    """quantized::linear_dynamic(x, packed(wq, wscale, bias), reduce_range):
    x float32 [..., K], wq int8 [N, K], wscale float32 [1] or [N], bias
    float32 [N] or None. Returns float32 [..., N]. A rank-1 x is one row
    (seqrt's linear takes it; torch's op needs rank >= 2)."""
    x = np.asarray(x, dtype=F32)
    if x.ndim < 1:
        raise ValueError("linear_dynamic needs an input of rank >= 1, got a scalar")
    wq = np.asarray(wq)
    n, k = wq.shape
    if x.shape[-1] != k:
        raise ValueError("input has %d features, the weight %d" % (x.shape[-1], k))
    ws = np.broadcast_to(np.asarray(wscale, dtype=F32), (n,))
    b = np.zeros(n, F32) if bias is None else np.asarray(bias, dtype=F32)
    x2 = x.reshape(-1, k)
    if x2.size:
        scale, zp = choose_qparams(x2.min(), x2.max(), input_qmax(engine, reduce_range))
    else:
        scale, zp = choose_qparams(0.0, 0.0, input_qmax(engine, reduce_range))
    xq = quantize_input(x2, scale, zp, engine)
    acc = (xq - zp) @ wq.astype(np.int64).T
    return dequantize_result(acc, ws, b, scale, engine).reshape(x.shape[:-1] + (n,))


def dequantize_result(acc, ws, b, scale, engine):
    """The float32 result of the int32 products acc [M, N] (row scales ws
    [N], bias b [N], the input's scale) as the engine computes it."""
    acc = np.asarray(acc).astype(F32)
    if engine == "qnnpack":
        mult = (ws * F32(scale)).astype(F32)
        return ((acc * mult).astype(F32) + b).astype(F32)
    g = (F32(1.0 / scale) * (F32(1) / ws)).astype(F32)
    return (((acc + (b * g).astype(F32)).astype(F32)) * (F32(1) / g).astype(F32)).astype(F32)


# ------------------------------------------------------------------ cells

def _np_sigmoid(a):
    return (1.0 / (1.0 + np.exp(-np.asarray(a, np.float64)))).astype(F32)


def _np_tanh(a):
    return np.tanh(np.asarray(a, np.float64)).astype(F32)


NUMPY_FNS = {"sigmoid": _np_sigmoid, "tanh": _np_tanh}


def ulp_noise_fns(rng, fns=NUMPY_FNS):
    """fns whose every result is moved by -1, 0 or +1 float32 ulp at random:
    a case whose outputs do not move under these is stable against another
    libm's sigmoid/tanh (the quantized goldens keep only such cases)."""
    def noisy(fn):
        def g(a):
            r = fn(a)
            k = rng.integers(-1, 2, r.shape)
            up, down = np.nextafter(r, F32(np.inf)), np.nextafter(r, F32(-np.inf))
            return np.where(k > 0, up, np.where(k < 0, down, r)).astype(F32)
        return g
    return {name: noisy(fn) for name, fn in fns.items()}


def torch_fns():
    """torch's float32 sigmoid/tanh kernels, for a bit-exact comparison.
    They take the array with its strides: ATen runs its vectorized (Sleef)
    kernel on blocks of 16 floats of each contiguous run and libm on the
    rest, so a gate chunk (a [B, H] view of the [B, G*H] gates, runs of H)
    and a contiguous [B, H] array (one run of B*H) round differently; the
    cells below hand over views laid out as torch's are."""
    import torch

    return {"sigmoid": lambda a: torch.sigmoid(torch.from_numpy(a)).numpy(),
            "tanh": lambda a: torch.tanh(torch.from_numpy(a)).numpy()}


def _lstm_cell(ih, hh, c, fns):
    g = (hh + ih).astype(F32)
    i, f, gg, o = np.split(g, 4, axis=-1)
    i, f, gg, o = fns["sigmoid"](i), fns["sigmoid"](f), fns["tanh"](gg), fns["sigmoid"](o)
    c = ((f * c).astype(F32) + (i * gg).astype(F32)).astype(F32)
    h = (o * fns["tanh"](c)).astype(F32)
    return h, c


def _gru_cell(ih, hh, h, fns):
    s = (hh + ih).astype(F32)  # torch adds r and z in place into hh's chunks
    sr, sz, _ = np.split(s, 3, axis=-1)
    inn, hn = np.split(ih, 3, axis=-1)[2], np.split(hh, 3, axis=-1)[2]
    r = fns["sigmoid"](sr)
    z = fns["sigmoid"](sz)
    n = fns["tanh"]((inn + (hn * r).astype(F32)).astype(F32))
    return (((h - n).astype(F32) * z).astype(F32) + n).astype(F32)


# -------------------------------------------------------------- recurrent

def quantize_recurrent(state, mode, num_layers, bidirectional, per_channel=False):
    """From a float nn.LSTM/nn.GRU state_dict (name -> float array) to the
    quantized params: {name: (wq, wscale)} for weight_* and {name: f32} for
    bias_* (biases stay float; quantize_dynamic asserts they exist)."""
    out = {}
    for name, suffix in _directions(num_layers, bidirectional):
        for kind in ("ih", "hh"):
            w = "weight_%s_l%d%s" % (kind, name, suffix)
            b = "bias_%s_l%d%s" % (kind, name, suffix)
            out[w] = quantize_weight(state[w], per_channel)
            out[b] = np.asarray(state[b], dtype=F32)
    return out


def _directions(num_layers, bidirectional):
    return [(k, s) for k in range(num_layers) for s in (("", "_reverse") if bidirectional else ("",))]


def _recurrent(mode, x, params, h0, c0, num_layers, bidirectional, batch_first, engine, fns, lengths=None):
    check_engine(engine)
    gates = {"lstm": 4, "gru": 3}[mode]
    x = np.asarray(x, dtype=F32)
    if x.ndim != 3:
        raise ValueError("%s input must be rank 3, got shape %s" % (mode, x.shape))
    seq = np.swapaxes(x, 0, 1) if batch_first else x
    t_len, batch = seq.shape[0], seq.shape[1]
    hidden = params["weight_hh_l0"][0].shape[1]
    nd = 2 if bidirectional else 1
    if params["weight_hh_l0"][0].shape[0] != gates * hidden:
        raise ValueError("%s weight_hh_l0 must have %d*H rows" % (mode, gates))
    lens = np.full(batch, t_len) if lengths is None else np.asarray(lengths, dtype=np.int64)
    if lens.shape != (batch,) or lens.min() < 0 or lens.max() > t_len:
        raise ValueError("lengths must be [%d] values in [0, %d]" % (batch, t_len))
    real = np.arange(t_len)[:, None] < lens[None, :]  # [T, B]: steps that are not padding
    zeros = np.zeros((num_layers * nd, batch, hidden), F32)
    h0 = zeros if h0 is None else np.asarray(h0, dtype=F32)
    c0 = zeros if c0 is None else np.asarray(c0, dtype=F32)
    h_n, c_n = [], []
    layer_in = seq
    for layer in range(num_layers):
        outs = []
        for d, suffix in enumerate(("", "_reverse")[:nd]):
            wih, sih = params["weight_ih_l%d%s" % (layer, suffix)]
            whh, shh = params["weight_hh_l%d%s" % (layer, suffix)]
            bih = params["bias_ih_l%d%s" % (layer, suffix)]
            bhh = params["bias_hh_l%d%s" % (layer, suffix)]
            # one call over the real steps of the whole sequence (torch's packed data)
            ih_all = np.zeros(real.shape + (gates * hidden,), F32)
            ih_all[real] = linear_dynamic(layer_in[real], wih, sih, bih, engine)
            h, c = h0[layer * nd + d].copy(), c0[layer * nd + d].copy()
            ys = np.zeros((t_len, batch, hidden), F32)
            for t in (range(t_len - 1, -1, -1) if d else range(t_len)):
                act = np.nonzero(real[t])[0]  # the entries still running: one call over them
                if not act.size:
                    continue
                hh = linear_dynamic(h[act], whh, shh, bhh, engine)
                if mode == "lstm":
                    h[act], c[act] = _lstm_cell(ih_all[t, act], hh, c[act], fns)
                else:
                    h[act] = _gru_cell(ih_all[t, act], hh, h[act], fns)
                ys[t, act] = h[act]
            outs.append(ys)
            h_n.append(h)
            c_n.append(c)
        layer_in = np.concatenate(outs, axis=-1) if nd == 2 else outs[0]
    y = np.swapaxes(layer_in, 0, 1) if batch_first else layer_in
    return np.ascontiguousarray(y), np.stack(h_n), np.stack(c_n)


def lstm_dynamic(x, params, h0=None, c0=None, num_layers=1, bidirectional=False, batch_first=False,
                 engine="qnnpack", fns=NUMPY_FNS, lengths=None):
    """A quantized dynamic nn.LSTM's forward: (output, h_n, c_n), float32.
    params as quantize_recurrent returns them. lengths [B] (or None): as
    torch on a pack_padded_sequence, padded outputs 0, h_n/c_n the state
    after each entry's last real step (forward) or first step (reverse)."""
    return _recurrent("lstm", x, params, h0, c0, num_layers, bidirectional, batch_first, engine, fns, lengths)


def gru_dynamic(x, params, h0=None, num_layers=1, bidirectional=False, batch_first=False,
                engine="qnnpack", fns=NUMPY_FNS, lengths=None):
    """A quantized dynamic nn.GRU's forward: (output, h_n), float32;
    lengths as for lstm_dynamic."""
    y, h_n, _ = _recurrent("gru", x, params, h0, None, num_layers, bidirectional, batch_first, engine, fns,
                           lengths)
    return y, h_n


# ---------------------------------------------------------------- selftest

def _rel(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.abs(got - want).max() / max(1.0, float(np.abs(want).max())))


class _Report:
    """Collects (what, measured, limit) rows; any row over its limit fails."""

    def __init__(self):
        self.rows, self.failed = [], []

    def check(self, what, value, limit):
        self.rows.append((what, value, limit))
        if not value <= limit:
            self.failed.append(what)


def _torch_weights(qmod, names):
    """The int8 codes and float32 scales torch stored, by parameter name."""
    out = {}
    for name, qt in names(qmod).items():
        per_channel = qt.qscheme() in (__import__("torch").per_channel_affine,
                                       __import__("torch").per_channel_symmetric)
        scale = qt.q_per_channel_scales().numpy() if per_channel else np.array([qt.q_scale()])
        out[name] = (qt.int_repr().numpy(), scale.astype(F32))
    return out


def _same_weights(report, what, mine, theirs):
    for name, (q, s) in theirs.items():
        report.check("%s %s int8 codes" % (what, name), float(np.abs(mine[name][0].astype(int) - q).max()), 0)
        report.check("%s %s scales" % (what, name), float(np.abs(mine[name][1] - s).max()), 0)


def _selftest_linear(torch, report, rng, engine, per_channel):
    spec = {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig} if per_channel else None
    for (k, n, shape) in [(37, 11, (5,)), (64, 48, (4, 6)), (300, 129, (7,)), (3, 1, (1,))]:
        fm = torch.nn.Sequential(torch.nn.Linear(k, n))
        qm = torch.ao.quantization.quantize_dynamic(fm, spec, dtype=torch.qint8)
        w, b = fm[0].weight.detach().numpy(), fm[0].bias.detach().numpy()
        what = "%s linear %dx%d%s" % (engine, n, k, " per-channel" if per_channel else "")
        mine = {"weight": quantize_weight(w, per_channel)}
        _same_weights(report, what, mine, _torch_weights(qm[0], lambda m: {"weight": m.weight()}))
        inputs = [("", rng.standard_normal(shape + (k,)) * rng.uniform(0.05, 4))]
        if n == 11:  # the edges of ChooseQuantizationParams: scale floor, one-signed, zero, huge
            g = rng.standard_normal((3, k))
            inputs += [(" tiny", g * 1e-4), (" tiny>0", np.abs(g) * 1e-5), (" tiny<0", -np.abs(g) * 1e-5),
                       (" zeros", 0 * g), (" >0", np.abs(g)), (" huge", g * 1e30), (" constant", 0 * g + 0.7)]
        for nm, x in inputs:
            x = x.astype(F32)
            # a fresh module per input: torch 1.13's onednn reuses the zero point of
            # an earlier call with the same input shape and scale (see ONEDNN_STALE_ZP)
            qm = torch.ao.quantization.quantize_dynamic(fm, spec, dtype=torch.qint8)
            want = qm[0](torch.from_numpy(x)).numpy()
            got = linear_dynamic(x, mine["weight"][0], mine["weight"][1], b, engine)
            report.check(what + nm + " output", _rel(got, want), 0.0)


def _selftest_onednn_stale_zp(torch, report, rng):
    """ONEDNN_STALE_ZP: torch 1.13's onednn caches one primitive per module,
    for the input shape of its first call; a call of another shape goes
    through ideep's own cache, which keeps the zero point of an earlier call
    with that shape and the same s_x: the codes are made with the new z_x
    and the old one is subtracted from them (a bug). The oracle computes the
    correct result; this check shows that torch's is the oracle's with the
    old zero point, so goldens avoid the case (on onednn: no call at the
    scale floor, s_x = f32(6.1e-5), where equal scales occur)."""
    fm = torch.nn.Sequential(torch.nn.Linear(37, 11))
    qm = torch.ao.quantization.quantize_dynamic(fm, dtype=torch.qint8)
    wq, ws = quantize_weight(fm[0].weight.detach().numpy())
    b = fm[0].bias.detach().numpy()
    g = rng.standard_normal((3, 37))
    first, second = (g * 1e-4).astype(F32), (np.abs(g) * 1e-5).astype(F32)  # both at the scale floor
    qm[0](torch.from_numpy(rng.standard_normal((5, 37)).astype(F32)))  # the module's cached shape
    qm[0](torch.from_numpy(first))
    want = qm[0](torch.from_numpy(second)).numpy()
    s1, z1 = choose_qparams(first.min(), first.max(), 127)
    s2, z2 = choose_qparams(second.min(), second.max(), 127)
    report.check("onednn stale zero point: same s_x, other z_x (%d, %d)" % (z1, z2),
                 0 if (s1 == s2 and z1 != z2) else 1, 0)
    xq = quantize_input(second, s2, z2, "onednn")
    stale = dequantize_result((xq - z1) @ wq.astype(np.int64).T, np.broadcast_to(ws, (11,)), b, s2, "onednn")
    report.check("onednn stale zero point: torch = the oracle with the old z_x subtracted", _rel(stale, want), 0.0)
    correct = linear_dynamic(second, wq, ws, b, "onednn")
    report.check("onednn stale zero point: torch differs from the correct result", 0 if _rel(correct, want) > 0 else 1, 0)


RNN_CONFIGS = [  # mode, input, hidden, layers, bidirectional, batch_first, T, B, then the options
    ("lstm", 5, 7, 1, False, False, 6, 3, ()),
    ("lstm", 4, 6, 2, True, True, 5, 2, ("h0",)),
    ("lstm", 8, 16, 2, False, False, 12, 4, ("h0", "per_channel")),
    ("lstm", 6, 9, 2, True, False, 7, 4, ("h0", "lengths")),
    ("gru", 5, 7, 1, False, False, 6, 3, ()),
    ("gru", 4, 6, 2, True, True, 5, 2, ("h0", "per_channel")),
    ("gru", 8, 16, 1, True, False, 12, 4, ("h0",)),
    ("gru", 6, 9, 2, False, True, 7, 4, ("lengths",)),
]


def _torch_recurrent(torch, qm, mode, x, h0, c0, lengths, batch_first):
    """The quantized module's (output, h_n[, c_n]); with lengths through
    pack_padded_sequence (unsorted), padded outputs 0."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    tx = torch.from_numpy(x)
    if lengths is not None:
        tx = pack_padded_sequence(tx, torch.from_numpy(lengths), batch_first=batch_first, enforce_sorted=False)
    hx = None
    if h0 is not None:
        hx = (torch.from_numpy(h0), torch.from_numpy(c0)) if mode == "lstm" else torch.from_numpy(h0)
    with torch.no_grad():
        y, state = qm(tx, hx)
    if lengths is not None:
        y = pad_packed_sequence(y, batch_first=batch_first, total_length=x.shape[1 if batch_first else 0])[0]
    states = list(state) if mode == "lstm" else [state]
    return [y.numpy()] + [t.numpy() for t in states]


def recurrent_inputs(rng, opts, bf, batch, t_len, i_sz, h_sz, rows):
    """Random x (batch-first when bf), h0 and c0 ([rows, batch, h_sz], when
    "h0" is in opts) and lengths (when "lengths" is: 1..t_len, entry 0 the
    longest), drawn from rng in that order."""
    x = (rng.standard_normal((batch, t_len, i_sz) if bf else (t_len, batch, i_sz)) * 1.5).astype(F32)
    h0 = (rng.standard_normal((rows, batch, h_sz)) * 0.5).astype(F32) if "h0" in opts else None
    c0 = (rng.standard_normal((rows, batch, h_sz)) * 0.5).astype(F32) if "h0" in opts else None
    lengths = None
    if "lengths" in opts:
        lengths = rng.integers(1, t_len + 1, batch).astype(np.int64)
        lengths[0] = t_len
    return x, h0, c0, lengths


def _selftest_rnn(torch, report, rng, engine, cfg, numpy_limit):
    mode, i_sz, h_sz, layers, bidir, bf, t_len, batch, opts = cfg
    per_channel = "per_channel" in opts
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[mode]
    fm = cls(i_sz, h_sz, layers, bidirectional=bidir, batch_first=bf)
    qconfig = torch.ao.quantization.per_channel_dynamic_qconfig if per_channel else \
        torch.ao.quantization.default_dynamic_qconfig
    # quantize_dynamic swaps a model's children, not the model itself
    qm = torch.ao.quantization.quantize_dynamic(torch.nn.ModuleDict({"m": fm}), {cls: qconfig})["m"]
    nd = 2 if bidir else 1
    params = quantize_recurrent({k: v.detach().numpy() for k, v in fm.state_dict().items()},
                                mode, layers, bidir, per_channel)
    what = "%s %s I%d H%d L%d%s%s T%d B%d%s" % (engine, mode, i_sz, h_sz, layers, " bidir" if bidir else "",
                                               " batch_first" if bf else "", t_len, batch,
                                               "".join(" " + o for o in opts))
    _same_weights(report, what, params, _torch_weights(qm, lambda m: m.get_weight()))
    x, h0, c0, lengths = recurrent_inputs(rng, opts, bf, batch, t_len, i_sz, h_sz, layers * nd)
    want = _torch_recurrent(torch, qm, mode, x, h0, c0, lengths, bf)

    def run(fns):
        if mode == "lstm":
            return lstm_dynamic(x, params, h0, c0, layers, bidir, bf, engine, fns, lengths)
        return gru_dynamic(x, params, h0, layers, bidir, bf, engine, fns, lengths)

    for nm, fns, limit in (("torch sigmoid/tanh", torch_fns(), 0.0), ("numpy sigmoid/tanh", NUMPY_FNS, numpy_limit),
                           ("numpy +-1 ulp", ulp_noise_fns(rng), numpy_limit)):
        got = run(fns)
        report.check("%s output+states (%s)" % (what, nm), max(_rel(g, w) for g, w in zip(got, want)), limit)


# With numpy's float64 sigmoid/tanh the outputs agree with torch's to 1-2
# float32 ulps (<= 3e-7 measured on 60 random models); rarely a 1-ulp
# difference moves an element of h across a rounding boundary of the next
# step's quantization, and the outputs then move by about one quantization
# step of one product for a few steps (4e-4 seen once, GRU H64 T40).
NUMPY_FNS_LIMIT = 5e-3


def selftest(verbose=True):
    """Compares the oracle with torch on both engines; returns the report."""
    import torch

    torch.set_num_threads(1)
    report = _Report()
    engines = [e for e in ENGINES if e in torch.backends.quantized.supported_engines]
    missing = sorted(set(ENGINES) - set(engines))
    if missing:
        report.check("torch has the engines " + ", ".join(missing), 1, 0)
    saved = torch.backends.quantized.engine
    try:
        for engine in engines:
            torch.backends.quantized.engine = engine
            torch.manual_seed(14)
            rng = np.random.default_rng(14)
            for per_channel in (False, True):
                _selftest_linear(torch, report, rng, engine, per_channel)
            if engine == "onednn":
                _selftest_onednn_stale_zp(torch, report, rng)
            for cfg in RNN_CONFIGS:
                _selftest_rnn(torch, report, rng, engine, cfg, NUMPY_FNS_LIMIT)
    finally:
        torch.backends.quantized.engine = saved
    if verbose:
        for what, value, limit in report.rows:
            if what.endswith((" int8 codes", " scales")):
                continue
            print("%-78s %.3g (limit %.3g)%s" % (what, value, limit, "" if value <= limit else "  FAIL"))
        weights = [r for r in report.rows if r[0].endswith((" int8 codes", " scales"))]
        n_w = len(weights)
        bad_w = [r[0] for r in weights if not r[1] <= r[2]]
        print("weights: %d comparisons of int8 codes and scales, %d differ%s"
              % (n_w, len(bad_w), (": " + ", ".join(bad_w)) if bad_w else ""))
    return report


def main(argv):
    if argv[1:] != ["--selftest"]:
        print("usage: %s --selftest" % argv[0], file=sys.stderr)
        return 2
    try:
        import torch  # noqa: F401
    except ImportError:
        print("SKIP: torch is not installed")
        return 77
    import warnings

    warnings.filterwarnings("ignore")
    report = selftest()
    if report.failed:
        print("FAILED: %d of %d checks: %s" % (len(report.failed), len(report.rows), "; ".join(report.failed)))
        return 1
    print("OK: %d checks" % len(report.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

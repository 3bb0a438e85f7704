"""The round-trip check of export(): random (or given) inputs, PyTorch's
outputs in float64 on the weights as stored, the written model run through
the seqrt library in process, every output compared under the spec's
tolerance."""

import copy
from collections import OrderedDict

import numpy as np
import torch

from .. import formats as sf
from .report import ExportError


def _flatten_torch(out):
    res = []

    def walk(o):
        if isinstance(o, (tuple, list)):
            for x in o:
                walk(x)
        elif torch.is_tensor(o):
            res.append(o)
    walk(out)
    return res


def _concrete(shape, sizes):
    return [d if isinstance(d, int) else sizes.setdefault(d, 5) for d in shape]


def _random_inputs(decls, vocab, seed, T, B):
    rng = np.random.RandomState(seed)
    sizes = {"T": T, "B": B}
    out = OrderedDict()
    for name, (dtype, shape) in decls.items():
        dims = _concrete(shape, sizes)
        if dtype.startswith("int") and name in vocab:
            out[name] = rng.randint(0, vocab[name], size=dims).astype(np.int64)
        elif dtype.startswith("int"):
            # lengths: sorted decreasing (pack_padded_sequence's default), the
            # first one full so that padded outputs keep T steps
            Tmax = sizes.get("T", T)
            lens = np.sort(rng.randint(1, Tmax + 1, size=dims))[::-1].copy()
            if lens.size:
                lens[0] = Tmax
            out[name] = lens.astype(np.int64)
        else:
            out[name] = (rng.randn(*dims) * 0.8).astype(np.float32)
    return out


def _torch_run(model, placeholders, decls, data, dtype):
    args = []
    for node, name in placeholders:
        if name not in data:
            args.append(None)
            continue
        a = data[name]
        if decls[name][0].startswith("int"):
            args.append(torch.from_numpy(a.astype(np.int64)))
        else:
            args.append(torch.from_numpy(a).to(dtype))
    with torch.no_grad():
        return [t.detach().to(torch.float64).numpy() for t in _flatten_torch(model(*args))]


def _reference_outputs(model, placeholders, decls, data, weights_dtype):
    """PyTorch's outputs in float64 on the weights as stored (rounded when
    F16/BF16), and how far storing them moved the outputs (None for F32)."""
    ref_model = copy.deepcopy(model).to(torch.float64)
    with torch.no_grad():
        for t in list(ref_model.parameters()):
            t.copy_(torch.from_numpy(sf.round_to_dtype(t.detach().cpu().numpy(), weights_dtype)
                                     .astype(np.float64)))
    try:
        want = _torch_run(ref_model, placeholders, decls, data, torch.float64)
        ref_dtype = torch.float64
    except RuntimeError:
        # forward() forces float32 somewhere (x.float()): compare in float32
        ref_model = ref_model.to(torch.float32)
        want = _torch_run(ref_model, placeholders, decls, data, torch.float32)
        ref_dtype = torch.float32
    rounding = None
    if weights_dtype != "F32":
        exact = _torch_run(copy.deepcopy(model).to(ref_dtype), placeholders, decls, data, ref_dtype)
        rounding = max((float(np.abs(a - b).max()) if a.size else 0.0) for a, b in zip(want, exact))
    return want, rounding


def run_seqrt(path, data, outputs, device="reference"):
    """The written model's outputs (value -> array) run by the seqrt library
    in process on `device`, strict (a weight no layer uses is an error).
    ExportError when the library cannot be loaded or the run fails."""
    import seqrt
    try:
        return sf.run_model(path, data, outputs, device=device, strict=True)
    except seqrt.LibraryError as e:
        raise ExportError("cannot check the export: %s (build the library with tools/build.sh, or pass "
                          "check=False)" % e)
    except seqrt.Error as e:
        raise ExportError("seqrt cannot run the exported model: %s" % e)
    except KeyError as e:
        raise ExportError("internal: seqrt's run gave no output %s" % e)


def check(model, path, conv, decls, outputs, weights_dtype="F32", device="reference", example_inputs=None,
          seed=0, T=7, B=3, atol=sf.ATOL, rtol=sf.RTOL):
    """Runs the model written at `path` with seqrt and `model` with PyTorch
    on the same inputs and compares every output. Returns (checks {value:
    (ok, worst error, worst ratio to the tolerance)}, rounding, inputs,
    PyTorch's outputs); raises ExportError on any disagreement."""
    data = (OrderedDict((n, np.asarray(example_inputs[n])) for n in decls) if example_inputs
            else _random_inputs(decls, conv.vocab, seed, T, B))
    want, rounding = _reference_outputs(model, conv.placeholders, decls, data, weights_dtype)
    if len(want) != len(outputs):
        raise ExportError("internal: PyTorch returned %d tensors for %d outputs" % (len(want), len(outputs)))
    got = run_seqrt(path, OrderedDict((n, data[n]) for n in decls), outputs, device=device)
    checks, bad = OrderedDict(), []
    for v, w in zip(outputs, want):
        g = got[v]
        if g.shape != w.shape:
            bad.append("%s: seqrt shape %s, PyTorch %s" % (v, list(g.shape), list(w.shape)))
            checks[v] = (False, float("inf"), float("inf"))
            continue
        checks[v] = sf.close_enough(g, w, atol, rtol)
        if not checks[v][0]:
            bad.append("%s: max |seqrt - pytorch| = %.3g (%.2f times the tolerance)"
                       % (v, checks[v][1], checks[v][2]))
    if bad:
        raise ExportError("seqrt's outputs disagree with PyTorch's: " + "; ".join(bad))
    return checks, rounding, data, want

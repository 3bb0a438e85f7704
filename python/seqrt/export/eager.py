"""export() for models torch.fx cannot trace: record forward() on the
example inputs (record.py), fold its loops (fold.py), convert (lower.py),
write the description and weights, and check the written model against
the module itself on random inputs of other lengths and batch sizes."""

import copy
import os
from collections import OrderedDict

import numpy as np
import torch

from .. import formats as sf
from .check import run_seqrt
from .fold import find_loops
from .layout import to_torch
from .lower import Lower
from .record import Val, record
from .report import ExportError, ExportReport


def as_args(example):
    """forward()'s positional arguments from what export() was given."""
    if torch.is_tensor(example):
        return (example,)
    if isinstance(example, list):
        return tuple(example)
    return tuple(example)


def convert(model, args):
    """(Lower, output Views) of model on the example arguments."""
    rec = record(model, args)
    lower = Lower(rec, find_loops(rec.nodes))
    try:
        views = lower.run()
    except ExportError:
        raise
    except Exception as e:  # noqa: BLE001 - a pattern the converter did not foresee
        at = lower.at.where if lower.at is not None else "forward"
        raise ExportError("%s: the recording tracer cannot convert this step (%s: %s): please report it with "
                          "the model" % (at, type(e).__name__, e))
    return lower, views


def describe(lower, views, path, name):
    weights_path = path[:-5] + ".safetensors"
    decls = lower.decls()
    if not decls:
        raise ExportError("the model has no input that a layer uses")
    desc = OrderedDict([("format", "seqrt"), ("version", lower.version), ("name", name),
                        ("batch_first", bool(lower.bf)), ("weights", os.path.basename(weights_path)),
                        ("inputs", [OrderedDict([("name", n), ("dtype", d[0]), ("shape", d[1])])
                                    for n, d in decls.items()]),
                        ("layers", lower.layers), ("outputs", [v.name for v in views])])
    return desc, decls, weights_path


def _torch_shape(ax, sizes):
    return [int(np.prod([sizes[l.rstrip("~")] for l in a])) if a else 1 for a in ax]


def random_inputs(lower, decls, seed, T, B):
    """seqrt's inputs (name -> array) and PyTorch's (input Val id -> tensor)."""
    rng = np.random.RandomState(seed)
    data, torch_in = OrderedDict(), {}
    for name, (dtype, shape, sq, ax) in decls.items():
        sizes = {"T": T, "B": B}
        dims = [sizes[d] if isinstance(d, str) else d for d in shape]
        for l, d in zip(sq, dims):
            sizes[l] = d
        if dtype == "int32":
            if name not in lower.ids:
                raise ExportError("input '%s': integer input that is not token ids has no seqrt form here" % name)
            a = rng.randint(0, lower.ids[name], size=dims).astype(np.int64)
        else:
            a = (rng.randn(*dims) * 0.8).astype(np.float32)
        data[name] = a
        t = torch.from_numpy(np.ascontiguousarray(to_torch(a, sq, ax, _torch_shape(ax, sizes))))
        torch_in[lower.input_vals[name].id] = t
    return data, torch_in


def _args(struct, torch_in, dtype):
    if isinstance(struct, Val):
        t = torch_in.get(struct.id, struct.tensor)
        return t.to(dtype) if t.dtype.is_floating_point else t
    if isinstance(struct, tuple):
        return tuple(_args(s, torch_in, dtype) for s in struct)
    return struct


def torch_outputs(model, rec, torch_in, weights_dtype):
    ref = copy.deepcopy(model)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.from_numpy(sf.round_to_dtype(p.detach().float().cpu().numpy(), weights_dtype)))
    for dtype in (torch.float64, torch.float32):
        m = ref.to(dtype)
        try:
            with torch.no_grad():
                out = m(*_args(rec.arg_struct, torch_in, dtype))
            break
        except RuntimeError:
            if dtype == torch.float32:
                raise
    flat = []

    def walk(o):
        if torch.is_tensor(o):
            flat.append(o.detach().to(torch.float64).numpy())
        elif isinstance(o, (tuple, list)):
            for x in o:
                walk(x)
    walk(out)
    return flat


def check(model, lower, views, decls, path, weights_dtype, device, seed, sizes, atol, rtol):
    """Runs the written model and the module on random inputs for each (T, B)
    in sizes; returns {output: (ok, worst error, worst ratio)} (worst over
    the runs); raises ExportError on any disagreement."""
    checks = OrderedDict()
    for k, (T, B) in enumerate(sizes):
        data, torch_in = random_inputs(lower, decls, seed + k, T, B)
        want = torch_outputs(model, lower.rec, torch_in, weights_dtype)
        if len(want) != len(views):
            raise ExportError("internal: PyTorch returned %d tensors for %d outputs" % (len(want), len(views)))
        got = run_seqrt(path, OrderedDict((n, data[n]) for n in decls), [v.name for v in views], device=device)
        bad = []
        for v, w in zip(views, want):
            try:
                g = to_torch(got[v.name], v.sq, v.ax, w.shape)
            except ValueError:
                bad.append("%s: seqrt shape %s, PyTorch %s" % (v.name, list(got[v.name].shape), list(w.shape)))
                continue
            c = sf.close_enough(g, w, atol, rtol)
            old = checks.get(v.name)
            checks[v.name] = c if old is None or c[2] > old[2] or not c[0] else old
            if not c[0]:
                bad.append("%s: max |seqrt - pytorch| = %.3g (%.2f times the tolerance) at T=%d, B=%d"
                           % (v.name, c[1], c[2], T, B))
        if bad:
            raise ExportError("seqrt's outputs disagree with PyTorch's: " + "; ".join(bad))
    return checks, data


def layout_notes(views, decls):
    """One line per input or output whose seqrt layout is not PyTorch's."""
    notes = []

    def same(sq, ax):
        return [tuple(a) for a in ax] == [(l,) for l in sq]
    for n, (_, _, sq, ax) in decls.items():
        if not same(sq, ax):
            notes.append("input %s: PyTorch's %s is seqrt's %s" % (n, _fmt(ax), list(sq)))
    for v in views:
        if not same(v.sq, v.ax):
            notes.append("output %s: seqrt's %s is PyTorch's %s" % (v.name, list(v.sq), _fmt(v.ax)))
    return notes


def _fmt(ax):
    return "[%s]" % ", ".join("*".join(a) if a else "1" for a in ax)


def export_recorded(model, path, example, name=None, metadata=None, weights_dtype="F32", check_it=True,
                    device="reference", seed=0, atol=sf.ATOL, rtol=sf.RTOL, sizes=None):
    args = as_args(example)
    lower, views = convert(model, args)
    base = os.path.basename(path)[:-5]
    desc, decls, weights_path = describe(lower, views, path, name or base)
    if metadata:
        desc["metadata"] = metadata
    weights = OrderedDict((k, np.asarray(v, dtype=np.float32)) for k, v in lower.weights.items())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sf.write_safetensors(weights_path, weights, dtype=weights_dtype)
    sf.write_description(path, desc)
    params = int(sum(v.size for v in weights.values()))
    rep = ExportReport(path, weights_path, params, OrderedDict(), weights_dtype, None)
    rep.notes = layout_notes(views, decls)
    rep.views = views
    if not check_it:
        return rep
    if sizes is None:
        sizes = [(7, 3), (4, 2)]
    elif callable(sizes):   # sizes(lower, decls): the caller picks them from the recorded inputs (seqrt.onnx)
        sizes = sizes(lower, decls)
    try:
        rep.checks, data = check(model, lower, views, decls, path, weights_dtype, device, seed, sizes, atol, rtol)
    except BaseException:
        for p in (path, weights_path):
            if os.path.exists(p):
                os.unlink(p)
        raise
    rep.inputs = OrderedDict((n, data[n].astype(np.int32) if decls[n][0] == "int32" else data[n]) for n in decls)
    return rep


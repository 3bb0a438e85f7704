"""check(description, module, example_inputs): does a hand-written seqrt
description compute what a PyTorch module computes?

Runs both on random inputs of the example's shapes (the description's
symbolic dims bound from example_inputs, position by position; without
them T=6, B=3), then again at another length and batch size (T+3, B+1),
compares every output under the spec's tolerance and, where an output
disagrees, runs prefixes of the description's layers to name the first
layer whose value disagrees with the module's submodule of the same name
(layers named after submodules, as seqrt.export names them; the
submodule's first returned tensor). Exposed as seqrt.check,
seqrt.export.check_description and seqrt.export.verify.check."""

import json
import os
import tempfile
from collections import OrderedDict

import numpy as np
import torch

from .. import formats as sf
from .report import ExportError


class CheckReport:
    """worst: {output: (ok, worst |seqrt - pytorch|, worst ratio to the
    tolerance)}; first_bad_layer: the first layer whose value disagrees
    (None when every output agrees or no layer could be compared);
    layer_errors: {layer: worst ratio} of the compared layers."""

    def __init__(self, worst, first_bad_layer, layer_errors, runs=()):
        self.worst, self.first_bad_layer, self.layer_errors = worst, first_bad_layer, layer_errors
        self.runs = list(runs)   # the sizes of each run: [{"T": 6, "B": 3}, ...]

    @property
    def ok(self):
        return all(c[0] for c in self.worst.values())

    def __str__(self):
        lines = ["%s %-28s max |seqrt - pytorch| = %.3g  (%.3f of the tolerance)"
                 % ("ok  " if ok else "BAD ", v, err, ratio) for v, (ok, err, ratio) in self.worst.items()]
        if self.runs:
            lines.append("checked at " + "; ".join(", ".join("%s=%d" % kv for kv in sorted(r.items()))
                                                   for r in self.runs))
        if self.first_bad_layer:
            lines.append("first layer that disagrees: %s (%.2f times the tolerance)"
                         % (self.first_bad_layer, self.layer_errors[self.first_bad_layer]))
        return "\n".join(lines)


def _inputs(desc, sizes, seed):
    rng = np.random.RandomState(seed)
    vocab = {}
    for L in desc["layers"]:
        x = L.get("inputs", {}).get("x")
        if L["op"] in ("embedding", "one_hot") and isinstance(x, str):
            vocab[x] = min(vocab.get(x, 1 << 30), L.get("num_embeddings", L.get("depth", 1)))
    data = OrderedDict()
    for i in desc["inputs"]:
        dims = [sizes.setdefault(d, 5) if isinstance(d, str) else d for d in i["shape"]]
        if i.get("dtype", "float32").startswith("int"):
            if i["name"] in vocab:
                data[i["name"]] = rng.randint(0, vocab[i["name"]], size=dims).astype(np.int64)
            else:   # lengths
                T = sizes.get("T", 5)
                lens = np.sort(rng.randint(1, T + 1, size=dims))[::-1].copy()
                if lens.size:
                    lens[0] = T
                data[i["name"]] = lens.astype(np.int64)
        else:
            data[i["name"]] = (rng.randn(*dims) * 0.8).astype(np.float32)
    return data


def _leaves(o, res):
    """The tensors of forward()'s arguments, in order ((h, c) tuples and
    lists walked into), as the description lists its inputs."""
    if torch.is_tensor(o):
        res.append(o)
    elif isinstance(o, (tuple, list)):
        for x in o:
            _leaves(x, res)
    return res


def _bind_sizes(desc, example_inputs):
    """The description's symbolic dims set from the example's tensors, input
    by input (a tensor of another rank binds nothing)."""
    sizes = {}
    if example_inputs is None:
        return sizes
    ex = _leaves(example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,), [])
    for decl, t in zip(desc["inputs"], ex):
        if len(decl["shape"]) == t.dim():
            for d, n in zip(decl["shape"], t.shape):
                if isinstance(d, str):
                    sizes.setdefault(d, int(n))
    return sizes


def _torch_args(data, example_inputs=None):
    """forward()'s arguments: the random inputs in the example's structure
    (a tensor where it has one, its other values kept), or one argument per
    description input without an example (or one with another number of
    tensors)."""
    flat = iter([torch.from_numpy(a) if a.dtype == np.int64 else torch.from_numpy(a).double()
                 for a in data.values()])
    ex = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if example_inputs is None or len(_leaves(ex, [])) != len(data):
        return tuple(flat)

    def rebuild(o):
        if torch.is_tensor(o):
            return next(flat)
        if isinstance(o, (tuple, list)):
            return type(o)(rebuild(x) for x in o)
        return o
    return tuple(rebuild(x) for x in ex)


def _flat(o, res):
    if torch.is_tensor(o):
        res.append(o.detach().double().numpy())
    elif isinstance(o, (tuple, list)):
        for x in o:
            _flat(x, res)
    return res


def check(description, module, example_inputs=None, device="reference", seed=0, T=None, B=None,
          atol=sf.ATOL, rtol=sf.RTOL):
    """Compares the seqrt model at `description` (a .json path) with
    `module` on random inputs of the example's shapes (example_inputs:
    forward()'s arguments, as seqrt.export takes them; T and B, when given,
    override the example's), then at T+3 and B+1. Returns a CheckReport:
    the worst error per output over both runs and, from the first run that
    disagrees, the first layer that disagrees."""
    with open(description) as f:
        desc = json.load(f, object_pairs_hook=OrderedDict)
    sizes = _bind_sizes(desc, example_inputs)
    sizes["T"] = T if T is not None else sizes.get("T", 6)
    sizes["B"] = B if B is not None else sizes.get("B", 3)
    other = dict(sizes, T=sizes["T"] + 3, B=sizes["B"] + 1)
    model = __import__("copy").deepcopy(module).double().eval()
    worst, first, errs, runs = OrderedDict(), None, OrderedDict(), []
    for k, run_sizes in enumerate((sizes, other)):
        run_sizes = dict(run_sizes)
        data = _inputs(desc, run_sizes, seed + k)
        runs.append({d: run_sizes[d] for d in ("T", "B")})
        res, hooked, feed = _run_once(desc, description, model, data, example_inputs, device, atol, rtol)
        for name, c in res.items():
            w = worst.get(name, (True, 0.0, 0.0))
            worst[name] = (w[0] and c[0], max(w[1], c[1]), max(w[2], c[2]))
        if first is None and not all(c[0] for c in res.values()):
            first, errs = _first_bad_layer(desc, description, feed, hooked, device, atol, rtol)
    return CheckReport(worst, first, errs, runs)


def _run_once(desc, description, model, data, example_inputs, device, atol, rtol):
    """One comparison on `data`: ({output: (ok, err, ratio)}, the submodules'
    first returned tensors by layer name, the feed given to seqrt)."""
    hooked = OrderedDict()
    mods = dict(model.named_modules())
    handles = []

    def hook(name):
        def h(mod, args, result):
            t = _flat(result, [])
            if t and name not in hooked:
                hooked[name] = t[0]
        return h
    for L in desc["layers"]:
        m = mods.get(L["name"])
        if m is not None and L["name"]:
            handles.append(m.register_forward_hook(hook(L["name"])))
    try:
        with torch.no_grad():
            want = _flat(model(*_torch_args(data, example_inputs)), [])
    finally:
        for h in handles:
            h.remove()
    feed = OrderedDict((k, v.astype(np.int32) if v.dtype == np.int64 else v) for k, v in data.items())
    got = sf.run_model(description, feed, desc["outputs"], device=device, strict=False)
    if len(want) != len(desc["outputs"]):
        raise ExportError("the module returns %d tensors, the description lists %d outputs"
                          % (len(want), len(desc["outputs"])))
    res = OrderedDict()
    for name, w in zip(desc["outputs"], want):
        g = got[name]
        res[name] = sf.close_enough(g, w, atol, rtol) if g.shape == w.shape else (False, float("inf"),
                                                                                  float("inf"))
    return res, hooked, feed


def _first_bad_layer(desc, path, feed, hooked, device, atol, rtol):
    errs = OrderedDict()
    base = os.path.dirname(os.path.abspath(path))
    for k, L in enumerate(desc["layers"]):
        w = hooked.get(L["name"])
        if w is None:
            continue
        pre = OrderedDict(desc)
        pre["layers"] = desc["layers"][:k + 1]
        pre["outputs"] = [L["name"]]
        used = {i for P in pre["layers"] for v in P.get("inputs", {}).values()
                for i in (v if isinstance(v, list) else [v])}
        pre["inputs"] = [i for i in desc["inputs"] if i["name"] in used]
        # beside the description: its weights path is relative to the description's directory
        fd, p = tempfile.mkstemp(prefix=".seqrt-check-", suffix=".json", dir=base)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(pre, f)
            g = sf.run_model(p, OrderedDict((i["name"], feed[i["name"]]) for i in pre["inputs"]),
                             [L["name"]], device=device, strict=False)[L["name"]]
        except Exception:  # noqa: BLE001 - a prefix seqrt cannot run tells nothing
            continue
        finally:
            os.unlink(p)
        if g.shape != w.shape:
            continue
        ok, err, ratio = sf.close_enough(g, w, atol, rtol)
        errs[L["name"]] = ratio
        if not ok:
            return L["name"], errs
    return None, errs

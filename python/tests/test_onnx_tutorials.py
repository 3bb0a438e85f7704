"""The tutorial models of examples/tutorials/ (test_tutorials.py's
PATTERNS) exported by torch.onnx.export (opset 14, dynamic batch axes)
and imported by seqrt.onnx.convert, which takes them through the
recording path (the graph run as a PyTorch module by seqrt.export's
recording tracer); the written model run with seqrt on the reference,
oneDNN and OpenCL devices and compared with the PyTorch module's own
outputs on fresh inputs at another batch size. A graph neither path can
take is refused naming its node, leaving no file."""

import os
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")

from conftest import backend_device  # noqa: E402
from test_tutorials import DEVICES, PATTERNS, _model  # noqa: E402
import seqrt.formats as sf  # noqa: E402
import seqrt.onnx as so  # noqa: E402

# test id -> forward()'s inputs as torch.onnx.export flattens them: (name, batch axis, time axis or None)
INPUTS = {
    "scratch_lstm": [("x", 0, None)],
    "coupled_lstm": [("inputs", 1, None), ("h", 0, None), ("c", 0, None)],
    "peephole_lstm": [("X", 1, None)],
    "bilstm_flip": [("x", 1, None)],
    "lstmcell_loop": [("input", 0, None)],
    "d2l_gru_scratch": [("inputs", 1, None), ("H", 0, None)],
    "d2l_rnn_scratch": [("inputs", 1, None), ("H", 0, None)],
    "d2l_rnnmodel_rnn": [("tokens", 0, None), ("state", 1, None)],
    "d2l_rnnmodel_gru": [("tokens", 0, None), ("state", 1, None)],
    "d2l_rnnmodel_lstm": [("tokens", 0, None), ("h0", 1, None), ("c0", 1, None)],
    "dot_attention": [("ids", 0, None)],
    "luong_general": [("ids", 1, None)],
    "luong_dot": [("ids", 1, None)],
    "selfattn_pool": [("ids", 0, None)],
    "luong_decoder_general": [("input_step", 1, None), ("last_hidden", 1, None), ("encoder_outputs", 1, 0)],
    "luong_decoder_dot": [("input_step", 1, None), ("last_hidden", 1, None), ("encoder_outputs", 1, 0)],
    "luong_decoder_concat": [("input_step", 1, None), ("last_hidden", 1, None), ("encoder_outputs", 1, 0)],
}


def _flat(example):
    out = []
    for a in (example if isinstance(example, tuple) else (example,)):
        out.extend(_flat(a) if isinstance(a, tuple) else [a])
    return out


def _export_onnx(pid, model, example, path):
    names = INPUTS[pid]
    axes = {n: dict([(b, "B")] + ([(t, "T")] if t is not None else [])) for n, b, t in names}
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(model, example, path, opset_version=14, input_names=[n for n, _, _ in names],
                              dynamic_axes=axes)
    return onnx.load(path)


def _regrow(pid, example, B):
    """forward()'s arguments with batch size B (other sizes as the example's)."""
    torch.manual_seed(B)
    out = []
    for (n, b, _), a in zip(INPUTS[pid], _flat(example)):
        shape = list(a.shape)
        shape[b] = B
        if a.dtype.is_floating_point:
            out.append(torch.randn(*shape))
        else:
            out.append(torch.randint(0, int(a.max()) + 1, shape, dtype=a.dtype))
    return out


def _nest(pid, example, flat):
    """flat arguments back into forward()'s structure."""
    it = iter(flat)

    def walk(a):
        return tuple(walk(x) for x in a) if isinstance(a, tuple) else next(it)
    return walk(example if isinstance(example, tuple) else (example,))


@pytest.mark.parametrize("pid,mod,arg,ops", PATTERNS, ids=[p[0] for p in PATTERNS])
@pytest.mark.parametrize("backend", DEVICES)
def test_torch_onnx_export_imports_and_matches(pid, mod, arg, ops, backend, tmp_path):
    device = backend_device(backend)
    torch.set_num_threads(1)
    model, example = _model(mod, arg)
    m = _export_onnx(pid, model, example, str(tmp_path / (pid + ".onnx")))
    rep = so.convert(m, str(tmp_path / (pid + ".json")))
    assert rep.layers >= 1 and os.path.exists(rep.weights_path), str(rep)
    # the module's own outputs on new inputs at another batch size: independent values
    flat = _regrow(pid, example, 4)
    with torch.no_grad():
        want = model(*_nest(pid, example, flat))
    want = [w.double().numpy() for w in _flat(want if isinstance(want, tuple) else (want,))]
    names = [n for n, _, _ in INPUTS[pid]]
    feed = {rep.inputs[n][0]: rep.to_seqrt(n, a.numpy()) for n, a in zip(names, flat) if n in rep.inputs}
    feed = {k: v.astype(np.int32) if v.dtype.kind == "i" else v.astype(np.float32) for k, v in feed.items()}
    outs = list(rep.outputs)
    assert len(outs) == len(want), (outs, len(want))
    got = sf.run_model(rep.json_path, feed, [rep.outputs[o][0] for o in outs], device=device, strict=True)
    for o, w in zip(outs, want):
        g = rep.to_onnx(o, got[rep.outputs[o][0]])
        assert g.shape == w.shape, (o, g.shape, w.shape)
        ok, err, ratio = sf.close_enough(g, w, sf.ATOL, sf.RTOL)
        assert ok, "%s: max |seqrt - pytorch| = %.3g (%.2f x tolerance)" % (o, err, ratio)


class _Cumsum(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(torch.cumsum(x, dim=0))


def test_graph_neither_path_takes_names_the_node(tmp_path):
    path = str(tmp_path / "c.onnx")
    with torch.no_grad():
        torch.onnx.export(_Cumsum(), (torch.randn(5, 2, 3),), path, opset_version=14)
    out = str(tmp_path / "c.json")
    with pytest.raises(so.ConvertError, match=r"CumSum node '[^']+'.*recording path cannot take the graph "
                                              r"either: .*CumSum node '[^']+'"):
        so.convert(path, out)
    assert not os.path.exists(out) and not os.path.exists(str(tmp_path / "c.safetensors"))

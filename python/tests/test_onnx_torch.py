"""seqrt.onnx on models written by torch.onnx.export (opset 14): nn.LSTM /
nn.GRU / nn.RNN modules (bidirectional, multi-layer, batch_first, with
initial states) converted whole, and the tutorial models of
examples/tutorials/ that hold an nn.LSTM / nn.GRU / nn.RNN, whose
recurrent node (cut out of the exported graph with onnx.utils.Extractor,
from its X and state inputs to its outputs) is converted; each run with
seqrt on the reference, oneDNN and OpenCL devices and compared with
PyTorch. A tutorial's whole graph converts or stops at a named node that is
not the recurrent one (attention written with MatMul / ReduceSum, one-hot
of transposed ids: ops the importer does not map; seqrt.export takes those
models, test_tutorials.py).

    PYTHONPATH=python /usr/bin/python3 -m pytest python/tests/test_onnx_torch.py
"""
import importlib
import os
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")
from onnx.utils import Extractor  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
for p in (os.path.join(REPO, "python"), os.path.join(REPO, "examples", "tutorials")):
    if p not in sys.path:
        sys.path.insert(0, p)

import seqrt  # noqa: E402
import seqrt.onnx as so  # noqa: E402
from conftest import backend_device  # noqa: E402  (the device of a backend, or skip)
from test_onnx_attrs import BACKENDS  # noqa: E402

ATOL, RTOL = 1e-4, 1e-3
nn = torch.nn
pytestmark = pytest.mark.filterwarnings("ignore")   # torch.onnx.export's tracer warnings


def _close(got, want, what):
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, "%s: seqrt shape %s, expected %s" % (what, got.shape, want.shape)
    err = np.abs(got.astype(np.float64) - want)
    assert np.all(err <= ATOL + RTOL * np.abs(want)), "%s: max |seqrt - pytorch| = %g" % (what, err.max())


def _run(rep, feeds, device):
    feed = {rep.inputs[k][0]: rep.to_seqrt(k, a) for k, a in feeds.items() if k in rep.inputs}
    with seqrt.Model(rep.json_path, strict=True) as m, seqrt.Session(m, device=device) as s:
        return s.run(feed)


class _Wrap(nn.Module):
    """An nn.LSTM / GRU / RNN with its states as separate arguments and
    outputs (y, h_n[, c_n])."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, *states):
        if not states:
            y, h = self.rnn(x)
        else:
            y, h = self.rnn(x, states if len(states) == 2 else states[0])
        return (y,) + (h if isinstance(h, tuple) else (h,))


def _modules():
    torch.manual_seed(4)
    return [
        ("lstm_bidirectional_h0_c0", nn.LSTM(3, 5, bidirectional=True), 2, False),
        ("gru_bidirectional_batch_first_h0", nn.GRU(3, 5, bidirectional=True, batch_first=True), 1, False),
        ("rnn_relu_two_layers_bidirectional", nn.RNN(3, 5, num_layers=2, nonlinearity="relu", bidirectional=True),
         0, False),
        ("lstm_three_layers", nn.LSTM(3, 5, num_layers=3), 0, False),
        ("gru_two_layers_batch_first", nn.GRU(3, 5, num_layers=2, batch_first=True), 0, False),
        ("lstm_no_bias_h0", nn.LSTM(3, 5, bias=False), 1, True),
        # several layers with initial states: one node per layer on Slices of h0 / c0 -> one num_layers layer
        ("lstm_two_layers_bidirectional_h0_c0", nn.LSTM(3, 5, num_layers=2, bidirectional=True), 2, False),
        ("gru_three_layers_batch_first_h0", nn.GRU(3, 5, num_layers=3, batch_first=True), 1, False),
        ("rnn_two_layers_h0", nn.RNN(3, 5, num_layers=2), 1, False),
        ("lstm_two_layers_h0", nn.LSTM(3, 5, num_layers=2), 1, True),
    ]


MODULE_IDS = [m[0] for m in _modules()]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k", range(len(MODULE_IDS)), ids=MODULE_IDS)
def test_exported_module(k, backend, tmp_path):
    device = backend_device(backend)
    torch.set_num_threads(1)
    name, rnn, nstates, h0_only = _modules()[k]
    model = _Wrap(rnn).eval()
    D = 2 if rnn.bidirectional else 1
    x = torch.randn(2, 6, 3) if rnn.batch_first else torch.randn(6, 2, 3)
    shape = (D * rnn.num_layers, 2, rnn.hidden_size)
    states = tuple(torch.randn(*shape) for _ in range(nstates))
    if h0_only:   # an LSTM given h0 alone: PyTorch needs both, so c0 is zeros made in the graph
        model = _H0Only(rnn).eval()
    in_names = ["x"] + ["h0", "c0"][:nstates]
    out_names = ["y", "h_n", "c_n"][:3 if isinstance(rnn, nn.LSTM) else 2]
    onnx_path = str(tmp_path / (name + ".onnx"))
    with torch.no_grad():
        torch.onnx.export(model, (x,) + states, onnx_path, input_names=in_names, output_names=out_names,
                          opset_version=14)
        want = [t.numpy() for t in model(x, *states)]
    rep = so.convert(onnx_path, str(tmp_path / (name + ".json")))
    got = _run(rep, dict(zip(in_names, [t.numpy() for t in (x,) + states])), device)
    for o, w in zip(out_names, want):
        _close(rep.to_onnx(o, got[rep.outputs[o][0]]), w, "%s %s on %s" % (name, o, device))


class _H0Only(nn.Module):
    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x, h0):
        y, (h, c) = self.rnn(x, (h0, torch.zeros_like(h0)))
        return y, h, c


# tutorial module, example() argument, the attribute holding the recurrent module
TUTORIALS = [("d2l_rnn", "rnn", "rnn"), ("d2l_rnn", "gru", "rnn"), ("d2l_rnn", "lstm", "rnn"),
             ("dot_attention", None, "lstm"), ("selfattn_pool", None, "lstm"),
             ("luong_attention", "general", "encoder")]
TUTORIAL_IDS = ["%s_%s" % (m, a) if a else m for m, a, _ in TUTORIALS]


def _export_tutorial(mod, arg, attr, tmp_path):
    """The tutorial exported whole, and what its recurrent module saw and
    returned in PyTorch (a forward hook)."""
    m = importlib.import_module(mod)
    model, example = m.example(arg) if arg is not None else m.example()
    model.eval()
    seen = {}
    rnn = getattr(model, attr)
    hook = rnn.register_forward_hook(lambda mod_, ins, outs: seen.update(ins=ins, outs=outs))
    path = str(tmp_path / "tutorial.onnx")
    with torch.no_grad():
        model(*example)
        hook.remove()
        torch.onnx.export(model, example, path, opset_version=14)
    return onnx.load(path), rnn, seen


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("k", range(len(TUTORIALS)), ids=TUTORIAL_IDS)
def test_tutorial_recurrent_node(k, backend, tmp_path):
    device = backend_device(backend)
    torch.set_num_threads(1)
    mod, arg, attr = TUTORIALS[k]
    model, rnn, seen = _export_tutorial(mod, arg, attr, tmp_path)
    (node,) = [n for n in model.graph.node if n.op_type in ("LSTM", "GRU", "RNN")]
    graph_inputs = {i.name for i in model.graph.input}
    # the node's X and its states where they are graph inputs (d2l's begin_state)
    ins = [node.input[0]] + [node.input[i] for i in (5, 6) if i < len(node.input) and node.input[i] in graph_inputs]
    outs = [o for o in node.output if o]
    sub = Extractor(model).extract_model(ins, outs)
    rep = so.convert(sub, str(tmp_path / "node.json"))
    # PyTorch's values in ONNX's layouts: X [T, B, I], Y [T, D, B, H], states [D, B, H]
    x = seen["ins"][0].numpy()
    y, h = seen["outs"]
    y = y.numpy()
    if rnn.batch_first:
        x, y = x.transpose(1, 0, 2), y.transpose(1, 0, 2)
    D = 2 if rnn.bidirectional else 1
    T, B = y.shape[:2]
    states = list(h) if isinstance(h, tuple) else [h]
    feeds = {node.input[0]: x}
    given = seen["ins"][1] if len(seen["ins"]) > 1 else None
    given = list(given) if isinstance(given, tuple) else ([given] if given is not None else [])
    for slot, arr in zip((5, 6), given):
        if slot < len(node.input) and node.input[slot] in ins:
            feeds[node.input[slot]] = arr.numpy()
    got = _run(rep, feeds, device)
    want = [y.reshape(T, B, D, -1).transpose(0, 2, 1, 3)] + [s.numpy() for s in states]
    for o, w in zip(node.output, want):
        if o:
            _close(rep.to_onnx(o, got[rep.outputs[o][0]]), w, "%s %s on %s" % (TUTORIAL_IDS[k], o, device))


@pytest.mark.parametrize("k", range(len(TUTORIALS)), ids=TUTORIAL_IDS)
def test_tutorial_whole_graph(k, tmp_path):
    """The whole exported tutorial converts, or the importer stops at a
    node that is not the recurrent one, naming it."""
    mod, arg, attr = TUTORIALS[k]
    model, _, _ = _export_tutorial(mod, arg, attr, tmp_path)
    try:
        so.convert(model, str(tmp_path / "whole.json"))
    except so.ConvertError as e:
        assert not str(e).startswith(("LSTM", "GRU", "RNN")), str(e)
        assert " node '" in str(e), str(e)


def test_seqrt_torch_lstm_is_unrolled(tmp_path):
    """seqrt.torch.LSTM (coupled) is Python code over its parameters:
    torch.onnx.export unrolls it into MatMul / Add / Sigmoid ... with no
    ONNX LSTM node, which the importer refuses naming the node (seqrt.export
    takes the module itself as one lstm layer)."""
    import seqrt.torch as st
    path = str(tmp_path / "st.onnx")
    with torch.no_grad():
        torch.onnx.export(st.LSTM(3, 4, coupled=True).eval(), (torch.randn(5, 2, 3),), path, opset_version=14)
    assert not [n for n in onnx.load(path).graph.node if n.op_type in ("LSTM", "GRU", "RNN")]
    with pytest.raises(so.ConvertError, match=" node '"):
        so.convert(path, str(tmp_path / "st.json"))

"""seqrt.onnx: a handful of ONNX's own node tests (libonnx-testdata) and one
torch.onnx.export model, converted, run through the library in process and
compared with the stored ONNX outputs / PyTorch's outputs; the rejections,
the check's failure path and the command lines.

    PYTHONPATH=python /usr/bin/python3 -m pytest python/tests/test_onnx.py
"""
import os
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
if os.path.join(REPO, "python") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "python"))

import seqrt  # noqa: E402
import seqrt.onnx as so  # noqa: E402

ATOL, RTOL = 1e-4, 1e-3
needs_node_data = pytest.mark.skipif(not os.path.isdir(so.NODE_DIR),
                                     reason="libonnx-testdata is not installed (%s)" % so.NODE_DIR)


def _pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def _node_case(name):
    d = os.path.join(so.NODE_DIR, name)
    m = onnx.load(os.path.join(d, "model.onnx"))
    ds = os.path.join(d, "test_data_set_0")
    ins = OrderedDict((gi.name, _pb(os.path.join(ds, "input_%d.pb" % i))) for i, gi in enumerate(m.graph.input))
    outs = OrderedDict((go.name, _pb(os.path.join(ds, "output_%d.pb" % i))) for i, go in enumerate(m.graph.output))
    return m, ins, outs


def _assert_close(got, want, what):
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, "%s: seqrt shape %s, expected %s" % (what, got.shape, want.shape)
    err = np.abs(got.astype(np.float64) - want)
    bound = ATOL + RTOL * np.abs(want)
    assert np.all(err <= bound), "%s: max |seqrt - expected| = %g" % (what, err.max())


def _run(rep, feed):
    with seqrt.Model(rep.json_path, strict=True) as m, seqrt.Session(m, device="reference") as s:
        return s.run(feed)


# node test -> the graph inputs that are weights there (made constants)
NODE_CASES = {
    "test_lstm_with_peepholes": ["W", "R", "B", "P"],
    "test_lstm_batchwise": ["W", "R"],               # layout 1: batch_first, states transposed
    "test_gru_seq_length": ["W", "R", "B"],          # sequence_lens -> lengths
    "test_simple_rnn_batchwise": ["W", "R"],
    "test_gemm_alpha": ["b", "c"],
    "test_softmax_axis_1": [],
    "test_logsoftmax_large_number": [],
    "test_concat_3d_axis_negative_1": [],
}


@needs_node_data
@pytest.mark.parametrize("name", list(NODE_CASES))
def test_node_test(name, tmp_path):
    m, ins, outs = _node_case(name)
    consts = {k: ins[k] for k in NODE_CASES[name]}
    rep = so.convert(m, str(tmp_path / (name + ".json")), constants=consts)
    feed = {rep.inputs[k][0]: rep.to_seqrt(k, a) for k, a in ins.items() if k in rep.inputs}
    got = _run(rep, feed)
    for k, want in outs.items():
        _assert_close(rep.to_onnx(k, got[rep.outputs[k][0]]), want, "%s %s" % (name, k))
    # and the package's own node-test path agrees
    status, msg = so.node_test(name, so.NODE_DIR, str(tmp_path))
    assert status == "ok", msg


@needs_node_data
@pytest.mark.parametrize("name, pattern", [("test_gemm_transposeA", "transA=1"),
                                           ("test_matmul_3d", "rank 3"),
                                           ("test_gather_0", "2-D table")])
def test_rejected_node_tests(name, pattern, tmp_path):
    status, msg = so.node_test(name, so.NODE_DIR, str(tmp_path))
    assert status == "rejected" and pattern in msg, (status, msg)


def test_input_forget_is_imported(tmp_path):
    # input_forget=1 (f = 1 - i) becomes the format's input_forget (1.1), never coupled (i = 1 - f);
    # test_onnx_attrs.py compares its values with the float64 oracle on every backend
    from seqrt.onnx.nodetests import input_forget_case, input_forget_model
    rep = so.convert(input_forget_model(), str(tmp_path / "f.json"))
    with open(rep.json_path) as f:
        text = f.read()
    assert '"input_forget": true' in text and "coupled" not in text and '"version": 1.1' in text
    assert input_forget_case(str(tmp_path))[0] == "ok"


@pytest.mark.filterwarnings("ignore")   # torch.onnx.export's tracer warnings
def test_torch_onnx_export_batch_first_gru(tmp_path):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)

    class BiGRU(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.GRU(5, 7, bidirectional=True, batch_first=True)
            self.fc = torch.nn.Linear(14, 3)

        def forward(self, x, h0):
            y, h = self.rnn(x, h0)
            return torch.log_softmax(self.fc(y), dim=-1), h

    torch.manual_seed(3)
    model = BiGRU().eval()
    x, h0 = torch.randn(3, 6, 5), torch.randn(2, 3, 7)
    onnx_path = str(tmp_path / "bigru.onnx")
    with torch.no_grad():
        torch.onnx.export(model, (x, h0), onnx_path, input_names=["x", "h0"], output_names=["logp", "h_n"],
                          dynamic_axes={"x": {0: "B", 1: "T"}, "h0": {1: "B"}}, opset_version=14)
        want = [t.double().numpy() for t in model.double()(x.double(), h0.double())]
    rep = so.convert(onnx_path, str(tmp_path / "bigru.json"))
    feed = {rep.inputs[k][0]: rep.to_seqrt(k, a.numpy()) for k, a in (("x", x), ("h0", h0))}
    got = _run(rep, feed)
    for k, w in zip(["logp", "h_n"], want):
        _assert_close(rep.to_onnx(k, got[rep.outputs[k][0]]), w, k)
    with open(rep.json_path) as f:
        assert '"batch_first": true' in f.read()


@needs_node_data
def test_mismatch_fails(tmp_path):
    from seqrt.onnx.check import run_and_compare
    m, ins, outs = _node_case("test_relu")
    rep = so.convert(m, str(tmp_path / "relu.json"))
    feed = {rep.inputs[k][0]: a for k, a in ins.items()}
    assert run_and_compare(rep, feed, outs)[0] == "ok"
    off = OrderedDict((k, v + 1e-2) for k, v in outs.items())
    status, msg = run_and_compare(rep, feed, off)
    assert status == "FAIL" and "tolerance" in msg
    status, msg = run_and_compare(rep, feed, outs, device="no_such_backend")
    assert status == "FAIL" and msg.startswith("seqrt: ")


@needs_node_data
def test_command_lines(tmp_path):
    name = "test_gemm_beta"
    m, ins, outs = _node_case(name)
    consts = []
    for k in ("b", "c"):
        np.save(str(tmp_path / (k + ".npy")), ins[k])
        consts += ["--const", "%s=%s" % (k, tmp_path / (k + ".npy"))]
    out = str(tmp_path / "gemm.json")
    p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "onnx2seqrt.py"),
                        os.path.join(so.NODE_DIR, name, "model.onnx"), out] + consts,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, cwd=REPO)
    assert p.returncode == 0, p.stdout
    got = seqrt.Session(seqrt.Model(out, strict=True), device="reference").run({"a": ins["a"]})
    _assert_close(got[seqrt.Model(out).outputs[0].name], outs["y"], name)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(REPO, "python")
    p = subprocess.run([sys.executable, "-m", "seqrt.onnx", "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, cwd=REPO, env=env)
    assert p.returncode == 0 and "--node-tests" in p.stdout and "--device" in p.stdout, p.stdout
    p = subprocess.run([sys.executable, "-m", "seqrt.onnx", os.path.join(so.NODE_DIR, "test_matmul_3d", "model.onnx"),
                        str(tmp_path / "mm.json")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, cwd=REPO, env=env)
    assert p.returncode == 1 and p.stderr.startswith("onnx2seqrt: error: "), p.stderr

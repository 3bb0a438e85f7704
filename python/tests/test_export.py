"""seqrt.export: the exporter's self-test models, exported, run through the
library in process and compared with PyTorch's own outputs (computed here,
in float64, not taken from the exporter), plus the check's failure paths and
the command lines.

    PYTHONPATH=python /usr/bin/python3 -m pytest python/tests/test_export.py
"""
import copy
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
if os.path.join(REPO, "python") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "python"))

import seqrt  # noqa: E402
import seqrt.export as sx  # noqa: E402
from seqrt import formats as sf  # noqa: E402

torch.set_num_threads(1)
ATOL, RTOL = 1e-4, 1e-3
_MODELS = {name: (m, kw) for name, m, kw in sx.selftest_models()}


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return [out] if torch.is_tensor(out) else []


def _pytorch_outputs(model, inputs, weights_dtype):
    """PyTorch on the weights as stored, float64 where forward() allows it."""
    ref = copy.deepcopy(model).eval()
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.from_numpy(sf.round_to_dtype(p.detach().numpy(), weights_dtype)))
    for dtype in (torch.float64, torch.float32):
        m = copy.deepcopy(ref).to(dtype)
        args = [torch.from_numpy(a.astype(np.int64)) if a.dtype.kind in "iu" else torch.from_numpy(a).to(dtype)
                for a in inputs.values()]
        try:
            with torch.no_grad():
                return [t.to(torch.float64).numpy() for t in _flatten(m(*args))]
        except RuntimeError:   # forward() forces float32 (x.float()): compare in float32
            continue
    raise AssertionError("PyTorch cannot run the model")


def _assert_close(got, want, what):
    assert got.shape == want.shape, "%s: seqrt shape %s, PyTorch %s" % (what, got.shape, want.shape)
    err = np.abs(got.astype(np.float64) - want)
    bound = ATOL + RTOL * np.abs(want)
    assert np.all(err <= bound), "%s: max |seqrt - pytorch| = %g (%.2f x tolerance)" % (
        what, err.max(), (err / bound).max())


@pytest.mark.parametrize("name", list(_MODELS))
def test_selftest_model_round_trip(name, tmp_path):
    model, kw = _MODELS[name]
    path = str(tmp_path / (name + ".json"))
    rep = sx.export(model, path, **kw)
    assert os.path.isfile(path) and os.path.isfile(rep.weights_path)
    assert rep.checks and all(ok for ok, _, _ in rep.checks.values())
    assert rep.worst_ratio <= 1.0
    # independently: the written files, the library, PyTorch
    m = seqrt.Model(path, strict=True)
    assert [s.name for s in m.inputs] == list(rep.inputs)
    got = seqrt.Session(m, device="reference").run(dict(rep.inputs))
    want = _pytorch_outputs(model, rep.inputs, kw.get("weights_dtype", "F32"))
    assert [o.name for o in m.outputs] == list(rep.expected)
    assert len(want) == len(m.outputs)
    for o, w in zip(m.outputs, want):
        _assert_close(got[o.name], w, "%s %s" % (name, o.name))


def test_other_devices(tmp_path):
    """The check runs on any available device (device=, formerly backend=)."""
    model, kw = _MODELS["charlm"]
    devs = [d for d in seqrt.devices() if d.available and d.backend != "reference"]
    if not devs:
        pytest.skip("no device besides the reference backend")
    for d in devs:
        rep = sx.export(model, str(tmp_path / ("charlm_%s.json" % d.backend)), device=d.id, **kw)
        assert rep.worst_ratio <= 1.0, d.id
    rep = sx.export(model, str(tmp_path / "charlm_backend.json"), backend=devs[0].id, **kw)
    assert rep.worst_ratio <= 1.0


def test_mismatch_raises_and_removes_files(tmp_path, monkeypatch):
    from seqrt.export import check
    real = check._reference_outputs

    def off(*a, **k):
        want, rounding = real(*a, **k)
        return [w + 1e-2 for w in want], rounding
    monkeypatch.setattr(check, "_reference_outputs", off)
    model, kw = _MODELS["proj_lstm"]
    path = str(tmp_path / "proj_lstm.json")
    with pytest.raises(sx.ExportError, match="disagree with PyTorch"):
        sx.export(model, path, **kw)
    assert not os.path.exists(path) and not os.path.exists(path[:-5] + ".safetensors")


def test_unknown_device_is_an_export_error(tmp_path):
    model, kw = _MODELS["charlm"]
    path = str(tmp_path / "charlm.json")
    with pytest.raises(sx.ExportError, match="seqrt"):
        sx.export(model, path, device="no_such_backend", **kw)
    assert not os.path.exists(path)


def test_unsupported_op_names_the_node(tmp_path):
    class Transposer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.GRU(3, 4)

        def forward(self, x):
            y, _ = self.rnn(x)
            return y.transpose(0, 1)
    with pytest.raises(sx.ExportError, match=r"\.transpose\(\) has no seqrt op"):
        sx.export(Transposer(), str(tmp_path / "t.json"))


def test_check_false_writes_without_running(tmp_path):
    model, kw = _MODELS["packed_gru"]
    rep = sx.export(model, str(tmp_path / "g.json"), check=False, **kw)
    assert not rep.checks and os.path.isfile(rep.json_path)


def test_command_lines():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(REPO, "python")
    p = subprocess.run([sys.executable, os.path.join(REPO, "tools", "seqrt_export.py"), "--selftest"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, cwd=REPO)
    assert p.returncode == 0, p.stdout
    assert "8 of 8 round trips within the spec's tolerance" in p.stdout
    p = subprocess.run([sys.executable, "-m", "seqrt.export", "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, universal_newlines=True, cwd=REPO, env=env)
    assert p.returncode == 0 and "--selftest" in p.stdout and "--device" in p.stdout, p.stdout


def test_seqrt_export_is_the_call_users_write(tmp_path):
    """`import seqrt; seqrt.export(module, path, example_inputs)`, as the
    front-door issue writes it, in a fresh interpreter (seqrt.export found
    through the package's __getattr__, not an earlier import)."""
    code = ("import torch, seqrt, numpy as np\n"
            "torch.manual_seed(0)\n"
            "m = torch.nn.GRU(3, 4)\n"
            "x = torch.randn(5, 2, 3)\n"
            "rep = seqrt.export(m, %r, (x,))\n"
            "y = seqrt.Session(seqrt.Model(%r), 'reference').run({'input': x.numpy()})\n"
            "ref = m(x)[0].detach().numpy()\n"
            "print(type(rep).__name__, float(np.abs(list(y.values())[0] - ref).max()))\n"
            % (str(tmp_path / "g.json"), str(tmp_path / "g.json")))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 0, out.stderr
    name, err = out.stdout.split()
    assert name == "ExportReport"
    assert float(err) < 1e-4

"""seqrt.check on hand-written descriptions: a correct mapping of an LSTM
language-model head (with its (h, c) state passed in as d2l's models take
it) passes at the example's sizes and at another length and batch; the
same description over weights whose gate blocks are in another order (g
and o swapped, as a hand mapping from i, f, o, g reads them) is caught and
its first bad layer named."""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqrt  # noqa: E402
import seqrt.formats as sf  # noqa: E402

H = 6


class _StatefulLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(4, H)
        self.fc = torch.nn.Linear(H, 3)

    def forward(self, x, state):
        y, (h, c) = self.rnn(x, state)
        return self.fc(y), h, c


DESCRIPTION = {
    "format": "seqrt", "version": 1, "name": "handwritten", "batch_first": False,
    "weights": "handwritten.safetensors",
    "inputs": [{"name": "x", "dtype": "float32", "shape": ["T", "B", 4]},
               {"name": "h0", "dtype": "float32", "shape": [1, "B", H]},
               {"name": "c0", "dtype": "float32", "shape": [1, "B", H]}],
    "layers": [
        {"op": "lstm", "name": "rnn", "inputs": {"x": "x", "h0": "h0", "c0": "c0"},
         "input_size": 4, "hidden_size": H, "num_layers": 1},
        {"op": "linear", "name": "fc", "inputs": {"x": "rnn"}, "in_features": H, "out_features": 3},
    ],
    "outputs": ["fc", "rnn:h_n", "rnn:c_n"],
}


def _write(tmp_path, module, gate_order=(0, 1, 2, 3)):
    path = str(tmp_path / "handwritten.json")
    with open(path, "w") as f:
        json.dump(DESCRIPTION, f)
    w = {}
    for k, v in module.state_dict().items():
        a = v.detach().numpy().astype(np.float32)
        if k.startswith("rnn."):   # [4H, ...] blocks i, f, g, o, written in gate_order
            a = np.concatenate([a[g * H:(g + 1) * H] for g in gate_order])
        w[k] = a
    sf.write_safetensors(str(tmp_path / "handwritten.safetensors"), w)
    return path


def _example():
    return (torch.randn(7, 2, 4), (torch.zeros(1, 2, H), torch.zeros(1, 2, H)))


def test_correct_description_passes(tmp_path):
    torch.manual_seed(4)
    m = _StatefulLM().eval()
    rep = seqrt.check(_write(tmp_path, m), m, _example())
    assert rep.ok, str(rep)
    assert rep.first_bad_layer is None
    assert list(rep.worst) == ["fc", "rnn:h_n", "rnn:c_n"]
    assert rep.runs == [{"T": 7, "B": 2}, {"T": 10, "B": 3}]
    assert "checked at B=2, T=7; B=3, T=10" in str(rep)


def test_swapped_gate_blocks_name_the_layer(tmp_path):
    torch.manual_seed(4)
    m = _StatefulLM().eval()
    rep = seqrt.check(_write(tmp_path, m, gate_order=(0, 1, 3, 2)), m, _example())
    assert not rep.ok
    assert rep.first_bad_layer == "rnn"
    assert "first layer that disagrees: rnn" in str(rep)
    assert not rep.worst["rnn:c_n"][0]
    assert not [f for f in os.listdir(str(tmp_path)) if f.startswith(".seqrt-check-")]


def test_import_does_not_load_torch():
    import subprocess
    import sys
    code = "import sys, seqrt; assert callable(seqrt.check); print('torch' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

"""seqrt.torch's drop-in modules (LSTM with coupled / peephole, the
attention modules) and seqrt.export.check_description: the LSTM equals
nn.LSTM where both exist, trains, keeps PyTorch's state_dict names plus
the format's peephole names, and exports exactly through both tracers; a
near-miss hand-written description is caught and its first bad layer
named."""

import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqrt.export as sx  # noqa: E402
import seqrt.formats as sf  # noqa: E402
import seqrt.torch as st  # noqa: E402


class _Net(torch.nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.rnn = st.LSTM(4, 6, **kw)
        D = 2 if kw.get("bidirectional") else 1
        self.fc = torch.nn.Linear((kw.get("proj_size") or 6) * D, 3)

    def forward(self, x):
        y, (h, c) = self.rnn(x)
        return self.fc(y), h, c


VARIANTS = [{}, {"coupled": True}, {"peephole": True},
            {"coupled": True, "peephole": True, "num_layers": 2, "bidirectional": True},
            {"peephole": True, "batch_first": True}, {"peephole": True, "proj_size": 3}]


def test_equals_nn_lstm():
    torch.manual_seed(0)
    ref = torch.nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3)
    mine = st.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3)
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(5, 2, 4)
    a, (ha, ca) = ref(x)
    b, (hb, cb) = mine(x)
    for p, q in ((a, b), (ha, hb), (ca, cb)):
        assert torch.allclose(p, q, atol=1e-6)


def test_state_dict_names():
    m = st.LSTM(3, 5, bidirectional=True, peephole=True)
    names = set(m.state_dict())
    for s in ("", "_reverse"):
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_pi", "weight_pf", "weight_po"):
            assert "%s_l0%s" % (k, s) in names
    assert m.weight_pi_l0.shape == (5,)


def test_trainable():
    torch.manual_seed(1)
    net = _Net(coupled=True, peephole=True)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x, target = torch.randn(6, 4, 4), torch.randn(6, 4, 3)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((net(x)[0] - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert net.rnn.weight_pf_l0.grad is not None


@pytest.mark.parametrize("kw", VARIANTS, ids=lambda kw: "-".join(sorted(kw)) or "plain")
def test_exports_exactly(kw, tmp_path):
    torch.manual_seed(2)
    net = _Net(**kw)
    x = torch.randn(2, 5, 4) if kw.get("batch_first") else torch.randn(5, 2, 4)
    for tracer, args in (("fx", None), ("record", (x,))):
        rep = sx.export(net, str(tmp_path / ("n_%s.json" % tracer)), args, tracer=tracer)
        assert rep.worst_ratio <= 1.0
        with open(rep.json_path) as f:
            desc = json.load(f)
        L = desc["layers"][0]
        assert L["op"] == "lstm"
        assert L.get("coupled", False) == kw.get("coupled", False)
        assert L.get("peephole", False) == kw.get("peephole", False)


def test_attention_modules_are_reexported():
    assert st.Attention is sx.Attention and st.AttentionPool is sx.AttentionPool
    assert st.LastStep is sx.LastStep and st.MeanPool is sx.MeanPool


def test_check_description_names_the_first_bad_layer(tmp_path):
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(4, 6)
            self.fc = torch.nn.Linear(6, 3)

        def forward(self, x):
            y, _ = self.rnn(x)
            return self.fc(y)
    torch.manual_seed(3)
    m = M().eval()
    path = str(tmp_path / "m.json")
    sx.export(m, path)
    good = sx.check_description(path, m)
    assert good.ok and good.first_bad_layer is None
    w = {k: np.asarray(v) for k, v in sf.read_safetensors(path[:-5] + ".safetensors").items()}
    W, H = w["rnn.weight_ih_l0"].copy(), 6
    w["rnn.weight_ih_l0"] = np.concatenate([W[H:2 * H], W[:H], W[2 * H:]])   # i and f swapped
    sf.write_safetensors(path[:-5] + ".safetensors", w)
    bad = sx.check_description(path, m)
    assert not bad.ok and bad.first_bad_layer == "rnn"
    assert "first layer that disagrees: rnn" in str(bad)
    assert not [f for f in os.listdir(str(tmp_path)) if f.startswith(".seqrt-check-")]

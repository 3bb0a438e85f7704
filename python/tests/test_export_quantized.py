"""seqrt.export of PyTorch's dynamically quantized modules
(torch.ao.quantization.quantize_dynamic: Linear, LSTM, GRU) on the engines
Debian's torch has: the written description is format 1.2 with torch's own
int8 codes and scales, and seqrt's reference run of it equals torch's
quantized module on fresh inputs within quantization.md's bound."""
import json
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import seqrt.export as se  # noqa: E402
from seqrt import formats  # noqa: E402


class TokensLSTM(torch.nn.Module):
    def __init__(self, cls, bidirectional, layers):
        super().__init__()
        self.emb = torch.nn.Embedding(11, 6)
        self.rnn = cls(6, 8, layers, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(16 if bidirectional else 8, 11)

    def forward(self, tokens):
        y, _ = self.rnn(self.emb(tokens))
        return self.fc(y)


@pytest.fixture
def engine_restored():
    saved = torch.backends.quantized.engine
    yield
    torch.backends.quantized.engine = saved


@pytest.mark.parametrize("engine", ["qnnpack", "onednn"])
@pytest.mark.parametrize("cls,bidir,layers,per_channel", [
    (torch.nn.LSTM, True, 2, False), (torch.nn.GRU, False, 1, True), (torch.nn.LSTM, False, 1, True)])
def test_quantized_modules_export_and_match_torch(tmp_path, engine_restored, engine, cls, bidir, layers,
                                                  per_channel):
    torch.backends.quantized.engine = engine
    torch.manual_seed(1)
    qconfig = torch.ao.quantization.per_channel_dynamic_qconfig if per_channel else \
        torch.ao.quantization.default_dynamic_qconfig
    m = torch.ao.quantization.quantize_dynamic(TokensLSTM(cls, bidir, layers).eval(),
                                               {cls: qconfig, torch.nn.Linear: qconfig})
    path = str(tmp_path / "q.json")
    se.export(m, path)
    desc = json.load(open(path))
    assert desc["version"] == 1.2 and desc["int8_rule"] == engine
    assert [L.get("precision") for L in desc["layers"]] == [None, "int8-dynamic", "int8-dynamic"]
    # the codes are torch's own
    raw = open(str(tmp_path / "q.safetensors"), "rb").read()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert header["rnn.weight_ih_l0"]["dtype"] == "I8" and header["fc.weight"]["dtype"] == "I8"
    rows = 11 if per_channel else 1
    assert header["fc.weight.scale"]["shape"] == [rows]
    # a fresh module per run: torch 1.13's onednn reuses a cached zero point across calls
    rng = np.random.default_rng(7)
    tokens = rng.integers(0, 11, (9, 4)).astype(np.int64)
    with torch.no_grad():
        want = m(torch.from_numpy(tokens)).numpy()
    got = formats.run_model(path, {"tokens": tokens.astype(np.int32)})["fc"]
    err = float(np.abs(got - want).max()) / max(1.0, float(np.abs(want).max()))
    assert err <= 1e-5, err


def test_a_reduced_weights_dtype_is_refused(tmp_path, engine_restored):
    torch.backends.quantized.engine = "qnnpack"
    m = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(torch.nn.Linear(4, 3)).eval())
    with pytest.raises(se.ExportError, match="weights_dtype must be 'F32'"):
        se.export(m, str(tmp_path / "l.json"), inputs={"input": ["T", "B", 4]}, weights_dtype="BF16")
    assert not os.path.exists(str(tmp_path / "l.json"))

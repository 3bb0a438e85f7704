"""Small PyTorch models exported with torch.onnx (opset 14): what the
importer meets in practice. Needs torch (imported when called)."""

import os
from collections import OrderedDict

from .. import formats as sf
from .check import run_and_compare
from .convert import convert
from .values import ConvertError


def torch_cases():
    """Small PyTorch models exported with torch.onnx: what the importer meets in practice."""
    import torch
    import torch.nn as nn

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(30, 8)
            self.rnn = nn.LSTM(8, 16, num_layers=2)
            self.fc = nn.Linear(16, 30)

        def forward(self, tokens):
            y, (h, c) = self.rnn(self.embed(tokens))
            return torch.softmax(self.fc(y), dim=-1), h, c

    class BiGRU(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(5, 7, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(14, 3)

        def forward(self, x, h0):
            y, h = self.rnn(x, h0)
            return torch.tanh(self.fc(y)), h

    class Relu(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(4, 6, nonlinearity="relu")
            self.fc = nn.Linear(6, 2, bias=False)

        def forward(self, x):
            y, _ = self.rnn(x)
            return torch.log_softmax(self.fc(y), dim=-1)

    class Stacked(nn.Module):   # one ONNX node per layer on Slices of h0 / c0: one num_layers layer
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(4, 5, num_layers=2, bidirectional=True)

        def forward(self, x, h0, c0):
            y, (h, c) = self.rnn(x, (h0, c0))
            return y, h, c

    torch.manual_seed(0)
    return [
        ("torch_charlm_lstm2", CharLM(), (torch.randint(0, 30, (9, 2)),), ["tokens"], ["probs", "h_n", "c_n"],
         {"tokens": {0: "T", 1: "B"}}),
        ("torch_bigru_batch_first", BiGRU(), (torch.randn(2, 6, 5), torch.randn(2, 2, 7)), ["x", "h0"],
         ["y", "h_n"], {"x": {0: "B", 1: "T"}, "h0": {1: "B"}}),
        ("torch_relu_rnn", Relu(), (torch.randn(5, 3, 4),), ["x"], ["logp"], {"x": {0: "T", 1: "B"}}),
        ("torch_stacked_bilstm_states", Stacked(), (torch.randn(6, 2, 4), torch.randn(4, 2, 5), torch.randn(4, 2, 5)),
         ["x", "h0", "c0"], ["y", "h_n", "c_n"], {"x": {0: "T", 1: "B"}, "h0": {1: "B"}, "c0": {1: "B"}}),
    ]


def torch_case(case, tmp, save=None, device="reference"):
    """Exports `case` (one of torch_cases()) with torch.onnx.export into
    `tmp`, converts it, runs it with seqrt on `device` and compares with
    PyTorch: (status, message). save: a directory to write it to as an
    examples/interop case (the seqrt files, inputs, expected outputs)."""
    import torch
    name, m, args, in_names, out_names, axes = case
    m.eval()
    onnx_path = os.path.join(tmp, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(m, args, onnx_path, input_names=in_names, output_names=out_names,
                          dynamic_axes=axes, opset_version=14)
        want = m(*args)
    want = [t.numpy() for t in (want if isinstance(want, tuple) else (want,))]
    path = os.path.join(tmp, name + ".json")
    try:
        rep = convert(onnx_path, path)
    except ConvertError as e:
        return "FAIL", "conversion: %s" % e
    feed = OrderedDict((rep.inputs[n][0], rep.to_seqrt(n, a.numpy())) for n, a in zip(in_names, args)
                       if n in rep.inputs)
    status, worst = run_and_compare(rep, feed, OrderedDict(zip(out_names, want)), device, "pytorch")
    if status != "ok":
        return status, worst
    if save:   # a case for examples/interop: the seqrt files, inputs, expected outputs
        import shutil
        os.makedirs(save, exist_ok=True)
        shutil.copy(path, os.path.join(save, "model.json"))
        shutil.copy(rep.weights_path, os.path.join(save, os.path.basename(rep.weights_path)))
        for n, a in feed.items():
            sf.save_npy(os.path.join(save, "input.%s.npy" % n), a)
        for k, w in zip(out_names, want):
            v, how = rep.outputs[k]
            if how:
                raise ConvertError("%s: output %s has a layout step (%s): not saved" % (name, k, how))
            sf.save_npy(os.path.join(save, "expected." + sf.value_file(v)), w)
    return "ok", "max |seqrt - pytorch| = %.2g (%d layers)" % (worst, rep.layers)

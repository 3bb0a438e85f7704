"""The tutorial models of examples/tutorials/, typed as their posts write
them, exported with seqrt.export (given forward()'s example arguments) and
matched against PyTorch on the reference, oneDNN and OpenCL devices (a
device is skipped only when its backend is not built)."""

import importlib
import json
import math
import os
import sys

import pytest

torch = pytest.importorskip("torch")

from conftest import REPO, backend_device  # noqa: E402
import seqrt  # noqa: E402
import seqrt.export as sx  # noqa: E402

sys.path.insert(0, os.path.join(REPO, "examples", "tutorials"))

# (test id, module, example() argument, the ops the description must have)
PATTERNS = [
    ("scratch_lstm", "scratch_lstm", None, ["lstm"]),
    ("coupled_lstm", "coupled_lstm", None, ["lstm"]),
    ("peephole_lstm", "peephole_lstm", None, ["lstm"]),
    ("bilstm_flip", "bilstm_flip", None, ["lstm", "linear"]),
    ("lstmcell_loop", "lstmcell_loop", None, ["lstm", "lstm", "linear"]),
    ("d2l_gru_scratch", "d2l_scratch", "gru", ["gru"]),
    ("d2l_rnn_scratch", "d2l_scratch", "rnn", ["rnn"]),
    ("d2l_rnnmodel_rnn", "d2l_rnn", "rnn", ["one_hot", "rnn", "linear"]),
    ("d2l_rnnmodel_gru", "d2l_rnn", "gru", ["one_hot", "gru", "linear"]),
    ("d2l_rnnmodel_lstm", "d2l_rnn", "lstm", ["one_hot", "lstm", "linear"]),
    ("dot_attention", "dot_attention", None, ["embedding", "lstm", "select", "attention", "linear"]),
    ("luong_general", "luong_attention", "general", None),
    ("luong_dot", "luong_attention", "dot", None),
    ("selfattn_pool", "selfattn_pool", None, ["embedding", "lstm", "attention_pool", "linear"]),
    ("luong_decoder_general", "luong_decoder", "general",
     ["embedding", "gru", "attention", "concat", "linear", "activation", "linear", "softmax"]),
    ("luong_decoder_dot", "luong_decoder", "dot",
     ["embedding", "gru", "attention", "concat", "linear", "activation", "linear", "softmax"]),
    ("luong_decoder_concat", "luong_decoder", "concat",
     ["embedding", "gru", "attention", "concat", "linear", "activation", "linear", "softmax"]),
]

DEVICES = ["reference", "onednn", "opencl"]


def _model(mod, arg):
    m = importlib.import_module(mod)
    return m.example(arg) if arg is not None else m.example()




@pytest.mark.parametrize("pid,mod,arg,ops", PATTERNS, ids=[p[0] for p in PATTERNS])
@pytest.mark.parametrize("backend", DEVICES)
def test_tutorial_exports_and_matches(pid, mod, arg, ops, backend, tmp_path):
    device = backend_device(backend)
    torch.set_num_threads(1)
    model, example = _model(mod, arg)
    rep = sx.export(model, str(tmp_path / (pid + ".json")), example, device=device)
    assert rep.checks and rep.worst_ratio <= 1.0, str(rep)
    m = seqrt.Model(rep.json_path)
    try:
        got = [L.op for L in m.layers]
    finally:
        m.close()
    if ops is not None:
        assert got == ops, got
    # the hand-written cells fold into exactly one recurrent layer each
    assert sum(op in ("lstm", "gru", "rnn") for op in got) >= 1


def test_reports_the_layouts_that_differ(tmp_path):
    model, example = _model("d2l_rnn", "gru")
    rep = sx.export(model, str(tmp_path / "d2l.json"), example)
    assert any("output linear" in n and "[T*B, F]" in n for n in rep.notes), rep.notes
    assert "[T*B, F]" in str(rep)


def test_hand_written_cell_matches_no_cell(tmp_path):
    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(3, 4))
            self.U = torch.nn.Parameter(torch.randn(4, 4))

        def forward(self, x):
            h = torch.zeros(x.shape[1], 4)
            out = []
            for t in range(x.shape[0]):
                h = torch.sigmoid(x[t] @ self.W + h @ self.U)     # sigmoid: no cell seqrt has
                out.append(h)
            return torch.stack(out)
    with pytest.raises(sx.ExportError, match=r"test_tutorials\.py:\d+: .*matches no cell.*torch\.sigmoid"):
        sx.export(Odd(), str(tmp_path / "odd.json"), (torch.randn(5, 2, 3),))
    assert not os.path.exists(str(tmp_path / "odd.json"))


def test_random_state_names_the_line(tmp_path):
    class Noisy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = torch.nn.GRUCell(3, 4)

        def forward(self, x):
            h = torch.rand(x.shape[1], 4)
            for t in range(x.shape[0]):
                h = self.cell(x[t], h)
            return h
    with pytest.raises(sx.ExportError, match=r"test_tutorials\.py:\d+: torch\.rand inside forward has no seqrt "
                                             r"form: pass the initial state as an input"):
        sx.export(Noisy(), str(tmp_path / "n.json"), (torch.randn(5, 2, 3),))


class _Backwards(torch.nn.Module):
    """A loop backwards over time alone (outputs collected in original order or in loop order)."""

    def __init__(self, flip_back):
        super().__init__()
        self.cell = torch.nn.RNNCell(3, 4)
        self.flip_back = flip_back

    def forward(self, x):
        h = torch.zeros(x.shape[1], 4)
        out = []
        for t in reversed(range(x.shape[0])):
            h = self.cell(x[t], h)
            out.append(h)
        return (torch.stack(out[::-1]) if self.flip_back else torch.stack(out)), h


@pytest.mark.parametrize("flip_back", [True, False], ids=["original_order", "loop_order"])
@pytest.mark.parametrize("backend", DEVICES)
def test_reverse_only_loop_exports_as_reverse_layer(flip_back, backend, tmp_path):
    device = backend_device(backend)
    torch.manual_seed(3)
    path = str(tmp_path / "b.json")
    try:
        rep = sx.export(_Backwards(flip_back), path, (torch.randn(5, 2, 3),), device=device)
    except sx.ExportError as e:
        if backend != "reference" and "'direction' = \"reverse\" is not implemented" in str(e):
            pytest.skip("%s does not run format 1.1's direction reverse yet: %s" % (backend, e))
        raise
    assert rep.checks and rep.worst_ratio <= 1.0, str(rep)
    with open(path) as f:
        desc = json.load(f)
    assert desc["version"] == 1.1
    assert [(L["op"], L.get("direction")) for L in desc["layers"]] == [("rnn", "reverse")]
    assert desc["outputs"] == ["cell", "cell:h_n"]


def test_forward_loop_stays_format_1_0(tmp_path):
    model, example = _model("lstmcell_loop", None)
    path = str(tmp_path / "f.json")
    sx.export(model, path, example)
    with open(path) as f:
        assert json.load(f)["version"] == 1


def test_loop_out_of_time_order_is_refused(tmp_path):
    class Shuffled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = torch.nn.RNNCell(3, 4)

        def forward(self, x):
            h = torch.zeros(x.shape[1], 4)
            for t in (0, 2, 1, 3, 4):
                h = self.cell(x[t], h)
            return h
    with pytest.raises(sx.ExportError, match=r"test_tutorials\.py:\d+: .*visits the steps \[0, 2, 1, 3, 4\]"):
        sx.export(Shuffled(), str(tmp_path / "s.json"), (torch.randn(5, 2, 3),))


def test_hand_gru_other_convention(tmp_path):
    """h' = (1 - z) h + z n: PyTorch's z is 1 - z, folded into the weights."""
    class GRU2(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.xz, self.hz = torch.nn.Linear(3, 5), torch.nn.Linear(5, 5)
            self.xr, self.hr = torch.nn.Linear(3, 5), torch.nn.Linear(5, 5)
            self.xn, self.hn = torch.nn.Linear(3, 5), torch.nn.Linear(5, 5)

        def forward(self, x, h):
            ys = []
            for x_t in x:
                z = torch.sigmoid(self.xz(x_t) + self.hz(h))
                r = torch.sigmoid(self.xr(x_t) + self.hr(h))
                n = torch.tanh(self.xn(x_t) + r * self.hn(h))
                h = (1 - z) * h + z * n
                ys.append(h)
            return torch.stack(ys), h
    torch.manual_seed(0)
    rep = sx.export(GRU2(), str(tmp_path / "g.json"), (torch.randn(4, 2, 3), torch.randn(2, 5)))
    assert rep.worst_ratio <= 1.0


class _Elman(torch.nn.Module):
    """h = tanh(i2h(cat(x, h))) with a head inside the loop."""

    def __init__(self):
        super().__init__()
        self.i2h, self.h2o = torch.nn.Linear(3 + 5, 5), torch.nn.Linear(5, 2)

    def forward(self, x):
        h = torch.zeros(x.shape[1], 5)
        outs = []
        for i in range(x.size(0)):
            combined = torch.cat((x[i], h), 1)
            h = torch.tanh(self.i2h(combined))
            outs.append(self.h2o(h))
        return torch.stack(outs), h


class _LinearRecurrence(torch.nn.Module):
    """The name-classification tutorial's RNN: h = i2h(cat(x, h)), no nonlinearity."""

    def __init__(self):
        super().__init__()
        self.i2h, self.i2o = torch.nn.Linear(3 + 5, 5), torch.nn.Linear(8, 2)

    def forward(self, x):
        h = torch.zeros(x.shape[1], 5)
        for i in range(x.size(0)):
            combined = torch.cat((x[i], h), 1)
            h = self.i2h(combined)
            out = self.i2o(combined)
        return out, h


def test_linear_of_cat_and_a_head_inside_the_loop(tmp_path):
    torch.manual_seed(4)
    rep = sx.export(_Elman(), str(tmp_path / "e.json"), (torch.randn(5, 2, 3),))
    assert rep.worst_ratio <= 1.0


def test_recurrence_without_nonlinearity_names_the_module(tmp_path):
    with pytest.raises(sx.ExportError, match=r"test_tutorials\.py:\d+: .*matches no cell.*i2h \(Linear\)"):
        sx.export(_LinearRecurrence(), str(tmp_path / "l.json"), (torch.randn(5, 2, 3),))


def test_transposed_parameters(tmp_path):
    """x @ W.T with W [4H, in] as nn.LSTM stores it, gates by chunk()."""
    class Fused(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.randn(16, 3) * 0.4)
            self.U = torch.nn.Parameter(torch.randn(16, 4) * 0.4)
            self.b = torch.nn.Parameter(torch.randn(16) * 0.1)

        def forward(self, x):
            h = c = torch.zeros(x.shape[1], 4)
            ys = []
            for t in range(x.shape[0]):
                gates = x[t] @ self.W.T + h @ self.U.t() + self.b
                i, f, g, o = gates.chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                ys.append(h)
            return torch.stack(ys)
    torch.manual_seed(5)
    rep = sx.export(Fused(), str(tmp_path / "f.json"), (torch.randn(5, 2, 3),))
    assert rep.worst_ratio <= 1.0


def test_fused_gates_sliced(tmp_path):
    """The "optimized" from-scratch LSTM: one W, U, bias, gates as column slices."""
    class Optimized(torch.nn.Module):
        def __init__(self, input_sz=3, hidden_sz=4):
            super().__init__()
            self.hidden_size = hidden_sz
            self.W = torch.nn.Parameter(torch.randn(input_sz, hidden_sz * 4) * 0.4)
            self.U = torch.nn.Parameter(torch.randn(hidden_sz, hidden_sz * 4) * 0.4)
            self.bias = torch.nn.Parameter(torch.randn(hidden_sz * 4) * 0.1)

        def forward(self, x):
            bs, seq_sz, _ = x.size()
            hidden_seq = []
            h_t, c_t = (torch.zeros(bs, self.hidden_size), torch.zeros(bs, self.hidden_size))
            HS = self.hidden_size
            for t in range(seq_sz):
                x_t = x[:, t, :]
                gates = x_t @ self.W + h_t @ self.U + self.bias
                i_t, f_t, g_t, o_t = (
                    torch.sigmoid(gates[:, :HS]), torch.sigmoid(gates[:, HS:HS * 2]),
                    torch.tanh(gates[:, HS * 2:HS * 3]), torch.sigmoid(gates[:, HS * 3:]))
                c_t = f_t * c_t + i_t * g_t
                h_t = o_t * torch.tanh(c_t)
                hidden_seq.append(h_t.unsqueeze(0))
            hidden_seq = torch.cat(hidden_seq, dim=0)
            hidden_seq = hidden_seq.transpose(0, 1).contiguous()
            return hidden_seq, (h_t, c_t)
    torch.manual_seed(6)
    rep = sx.export(Optimized(), str(tmp_path / "o.json"), (torch.randn(2, 5, 3),))
    assert rep.worst_ratio <= 1.0


def test_plumbing_errors_name_the_line(tmp_path):
    class Scaled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.r, self.f = torch.nn.GRU(3, 4), torch.nn.Linear(4, 2)

        def forward(self, x):
            y, h = self.r(x)
            return self.f(y.permute(1, 0, 2))[:, -1] * 2, h.squeeze(0)
    # A Python number times a tensor was refused in format 1.0; it is now an
    # activation "affine" of format 1.1 (the front-door issue's scalar arithmetic).
    sx.export(Scaled(), str(tmp_path / "s.json"), (torch.randn(5, 2, 3),))
    d = json.load(open(str(tmp_path / "s.json")))
    assert d["version"] == 1.1
    assert [(l["alpha"], l["beta"]) for l in d["layers"] if l.get("function") == "affine"] == [(2.0, 0.0)]

    class Permuted(Scaled):
        def forward(self, x):
            y, h = self.r(x)
            return self.f(y.permute(1, 0, 2))[:, -1], h.squeeze(0)
    rep = sx.export(Permuted(), str(tmp_path / "p.json"), (torch.randn(5, 2, 3),))
    assert rep.worst_ratio <= 1.0


def test_unbatched_w_at_x(tmp_path):
    """The textbook LSTM on one sequence of vectors: W @ x + U @ h + b."""
    class Textbook(torch.nn.Module):
        def __init__(self, n_in=3, n_h=5):
            super().__init__()
            self.n_h = n_h
            for g in "ifco":
                setattr(self, "W_" + g, torch.nn.Parameter(torch.randn(n_h, n_in) * 0.4))
                setattr(self, "U_" + g, torch.nn.Parameter(torch.randn(n_h, n_h) * 0.4))
                setattr(self, "b_" + g, torch.nn.Parameter(torch.randn(n_h) * 0.1))

        def forward(self, xs):
            h, c = torch.zeros(self.n_h), torch.zeros(self.n_h)
            hs = []
            for x in xs:
                i = torch.sigmoid(self.W_i @ x + self.U_i @ h + self.b_i)
                f = torch.sigmoid(self.W_f @ x + self.U_f @ h + self.b_f)
                o = torch.sigmoid(self.W_o @ x + self.U_o @ h + self.b_o)
                c = f * c + i * torch.tanh(self.W_c @ x + self.U_c @ h + self.b_c)
                h = o * torch.tanh(c)
                hs.append(h)
            return torch.stack(hs), h
    torch.manual_seed(7)
    rep = sx.export(Textbook(), str(tmp_path / "t.json"), (torch.randn(6, 3),))
    assert rep.worst_ratio <= 1.0
    assert any("input xs" in n for n in rep.notes), rep.notes


def test_luong_decoder_step_layout(tmp_path):
    """The decoder's own step is a sequence of one step (declared 1), the
    encoder's outputs the keys of `attention` (score general), whose query
    is the GRU's output; outputs in forward()'s order."""
    model, example = _model("luong_decoder", "general")
    path = str(tmp_path / "dec.json")
    sx.export(model, path, example)
    with open(path) as f:
        desc = json.load(f)
    assert [(i["name"], i["shape"]) for i in desc["inputs"]] == [
        ("input_step", [1, "B"]), ("last_hidden", [1, "B", 10]), ("encoder_outputs", ["T", "B", 10])]
    att = [L for L in desc["layers"] if L["op"] == "attention"][0]
    assert att["score"] == "general" and att["inputs"]["query"] == "gru" and \
        att["inputs"]["keys"] == "encoder_outputs"
    assert desc["outputs"] == ["softmax", "gru:h_n"]


class _MaskedLoop(torch.nn.Module):
    """Steps past each length keep the old state (torch.where on a mask)."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.GRUCell(3, 4)

    def forward(self, x, lengths):
        h = torch.zeros(x.shape[1], 4)
        for t in range(x.shape[0]):
            h_new = self.cell(x[t], h)
            h = torch.where(t < lengths[:, None], h_new, h)
        return h


def test_masked_loop_names_the_line_and_the_fix(tmp_path):
    with pytest.raises(sx.ExportError, match=r"test_tutorials\.py:\d+: torch\.where keeps the state of cell past "
                                             r"each sequence's length: .*nn\.GRU over "
                                             r"nn\.utils\.rnn\.pack_padded_sequence"):
        sx.export(_MaskedLoop(), str(tmp_path / "m.json"), (torch.randn(5, 2, 3), torch.tensor([5, 3])))


def test_the_suggested_packed_form_exports_with_lengths(tmp_path):
    class Packed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(3, 4)

        def forward(self, x, lengths):
            _, h = self.gru(torch.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False))
            return h
    path = str(tmp_path / "p.json")
    rep = sx.export(Packed(), path, (torch.randn(5, 2, 3), torch.tensor([5, 3])))
    assert rep.checks and rep.worst_ratio <= 1.0, str(rep)
    with open(path) as f:
        desc = json.load(f)
    assert "lengths" in desc["layers"][0]["inputs"]


def test_luong_decoder_concat_is_additive(tmp_path):
    """The tutorial's "concat" score, v . tanh(W [q; k] + b), is seqrt's
    additive score: W's columns split between query and keys."""
    model, example = _model("luong_decoder", "concat")
    path = str(tmp_path / "dec.json")
    sx.export(model, path, example)
    with open(path) as f:
        att = [L for L in json.load(f)["layers"] if L["op"] == "attention"][0]
    assert att["score"] == "additive" and att["inputs"] == {"query": "gru", "keys": "encoder_outputs"}


class _CellMean(torch.nn.Module):
    """A classifier that averages an RNNCell's outputs over time, written
    with permute, stack and mean(dim=0) as tutorials do."""

    def __init__(self, over_features=False):
        super().__init__()
        self.cell = torch.nn.RNNCell(3, 4)
        self.fc = torch.nn.Linear(4, 2)
        self.over_features = over_features

    def forward(self, x):
        x = x.permute(1, 0, 2)
        h = torch.zeros(x.shape[1], 4)
        outs = []
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
            outs.append(h)
        seq = torch.stack(outs)
        if self.over_features:
            return seq.mean(dim=2)
        return self.fc(seq.mean(dim=0))


@pytest.mark.parametrize("backend", DEVICES)
def test_mean_over_time_is_mean_pool(backend, tmp_path):
    device = backend_device(backend)
    torch.manual_seed(3)
    sx.export(_CellMean(), str(tmp_path / "m.json"), (torch.randn(2, 5, 3),), device=device)
    d = json.load(open(str(tmp_path / "m.json")))
    assert [l["op"] for l in d["layers"]] == ["rnn", "mean_pool", "linear"]


def test_mean_over_features_names_the_line(tmp_path):
    with pytest.raises(sx.ExportError, match=r"test_tutorials.py:\d+: torch.mean over F has no seqrt form: only a mean over the time axis"):
        sx.export(_CellMean(over_features=True), str(tmp_path / "m.json"), (torch.randn(2, 5, 3),))


class _Unmerged(torch.nn.Module):
    """y.view(-1, H) for a Linear over every step, then .view(T, B, -1)
    back: the split undoes the merge (split=False: into other sizes)."""

    def __init__(self, split=True):
        super().__init__()
        self.rnn, self.fc = torch.nn.GRU(3, 4), torch.nn.Linear(4, 5)
        self.split = split

    def forward(self, x):
        y, _ = self.rnn(x)
        T, B, H = y.shape
        z = self.fc(y.view(-1, H))
        return z.view(T, B, -1) if self.split else z.view(B, T, -1)


@pytest.mark.parametrize("backend", DEVICES)
def test_reshape_back_to_the_merged_axes(backend, tmp_path):
    device = backend_device(backend)
    torch.manual_seed(4)
    path = str(tmp_path / "u.json")
    sx.export(_Unmerged(), path, (torch.randn(5, 2, 3),), device=device)
    assert [l["op"] for l in json.load(open(path))["layers"]] == ["gru", "linear"]


def test_reshape_into_other_axes_names_the_line(tmp_path):
    with pytest.raises(sx.ExportError, match=r"test_tutorials.py:\d+: reshape from \[10, 5\] to \[2, 5, 5\] "
                       r"splits an axis"):
        sx.export(_Unmerged(split=False), str(tmp_path / "u.json"), (torch.randn(5, 2, 3),))


class _ScaledDot(torch.nn.Module):
    """An LSTM's last state attending over its outputs with the scores
    divided by sqrt(H) (how="mul": times 1/sqrt(H); a number other than
    sqrt(H) is refused)."""

    def __init__(self, how="div", c=None):
        super().__init__()
        self.rnn, self.fc = torch.nn.LSTM(3, 4, batch_first=True), torch.nn.Linear(4, 2)
        self.how, self.c = how, c

    def forward(self, x):
        out, (h, _) = self.rnn(x)
        q = h[-1].unsqueeze(1)
        sc = torch.bmm(q, out.transpose(1, 2))
        c = self.c if self.c is not None else math.sqrt(4)
        sc = sc / c if self.how == "div" else sc * (1.0 / c)
        w = torch.nn.functional.softmax(sc, dim=-1)
        ctx = torch.bmm(w, out).squeeze(1)
        return self.fc(ctx)


@pytest.mark.parametrize("how", ["div", "mul"])
@pytest.mark.parametrize("backend", DEVICES)
def test_scaled_dot_attention(how, backend, tmp_path):
    device = backend_device(backend)
    torch.manual_seed(5)
    path = str(tmp_path / "a.json")
    sx.export(_ScaledDot(how), path, (torch.randn(2, 5, 3),), device=device)
    d = json.load(open(path))
    assert [l["op"] for l in d["layers"]] == ["lstm", "select", "attention", "linear"]
    assert [l for l in d["layers"] if l["op"] == "attention"][0]["score"] == "scaled_dot"


def test_other_constant_on_scores_names_the_line(tmp_path):
    with pytest.raises(sx.ExportError, match=r"test_tutorials.py:\d+: attention scores / 3.0 have no seqrt form"):
        sx.export(_ScaledDot(c=3.0), str(tmp_path / "a.json"), (torch.randn(2, 5, 3),))


class _Scalars(torch.nn.Module):
    """Python numbers on a GRU's head, outside any cell, as tutorials write
    them (a temperature, 1 - x, x + 0.5, -x, and a chain of them)."""

    FORMS = {"temperature": lambda z: torch.nn.functional.log_softmax(z / 0.7, dim=-1),
             "one_minus": lambda z: 1 - z, "plus": lambda z: z + 0.5, "neg": lambda z: -z,
             "minus": lambda z: z - 2, "chain": lambda z: (1 - z / 0.5) + 0.25}

    def __init__(self, form):
        super().__init__()
        self.rnn, self.fc = torch.nn.GRU(3, 4), torch.nn.Linear(4, 5)
        self.form = form

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.FORMS[self.form](self.fc(y))


AFFINE = {"temperature": (1 / 0.7, 0.0), "one_minus": (-1.0, 1.0), "plus": (1.0, 0.5), "neg": (-1.0, 0.0),
          "minus": (1.0, -2.0), "chain": (-2.0, 1.25)}


@pytest.mark.parametrize("form", sorted(AFFINE))
def test_scalar_arithmetic_is_one_affine(form, tmp_path):
    path = str(tmp_path / "s.json")
    sx.export(_Scalars(form), path, (torch.randn(5, 2, 3),), check=False)
    d = json.load(open(path))
    acts = [l for l in d["layers"] if l["op"] == "activation"]
    assert d["version"] == 1.1 and len(acts) == 1 and acts[0]["function"] == "affine"
    assert (acts[0]["alpha"], acts[0]["beta"]) == pytest.approx(AFFINE[form])
    assert d["layers"][-1]["op"] == ("log_softmax" if form == "temperature" else "activation")


@pytest.mark.parametrize("form", sorted(AFFINE))
@pytest.mark.parametrize("backend", DEVICES)
def test_scalar_arithmetic_matches(form, backend, tmp_path):
    device = backend_device(backend)
    torch.manual_seed(7)
    sx.export(_Scalars(form), str(tmp_path / "s.json"), (torch.randn(5, 2, 3),), device=device)


class _HandGRU(torch.nn.Module):
    """h' = (1 - z) * n + z * h written by hand: the 1 - z is the cell's."""

    def __init__(self):
        super().__init__()
        self.xz, self.hz = torch.nn.Linear(3, 4), torch.nn.Linear(4, 4)
        self.xr, self.hr = torch.nn.Linear(3, 4), torch.nn.Linear(4, 4)
        self.xn, self.hn = torch.nn.Linear(3, 4), torch.nn.Linear(4, 4)

    def forward(self, x):
        h = torch.zeros(x.shape[1], 4)
        for x_t in x:
            z = torch.sigmoid(self.xz(x_t) + self.hz(h))
            r = torch.sigmoid(self.xr(x_t) + self.hr(h))
            n = torch.tanh(self.xn(x_t) + r * self.hn(h))
            h = (1 - z) * n + z * h
        return h


def test_one_minus_inside_a_cell_stays_the_cell_s(tmp_path):
    path = str(tmp_path / "g.json")
    torch.manual_seed(8)
    sx.export(_HandGRU(), path, (torch.randn(5, 2, 3),))
    d = json.load(open(path))
    assert d["version"] == 1 and "affine" not in json.dumps(d["layers"])
    assert d["layers"][0]["op"] == "gru"

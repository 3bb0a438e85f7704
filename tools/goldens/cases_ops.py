"""Case lists of the per-step and pooling ops (linear, activations, softmax,
dropout, add/mul, concat, select, last_step, mean_pool) and of small whole
models (char-LM shapes, classifiers, pooling after an LSTM), through
PyTorch in float64; format 1.1's activation affine through the float64
spec evaluation (spec.affine)."""

from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

from .case import Case, desc, inp, lay, rand_lengths, randn, seq_input
from .model import NPY_DTYPES
from .spec import affine
from .torch_eval import f64, seeded, state, t64, torch_last_step, torch_mean_pool, torch_recurrent


def op_cases():
    c = []
    T, B = 5, 3

    def simple(name, layers, inputs, data, expected, descr, bf=False, weights=None):
        model = desc(name, inputs, layers, list(expected), batch_first=bf)
        return Case(name, "pytorch", descr, model, weights or OrderedDict(), data, expected)

    # linear
    for name, bias, twod in (("linear", True, False), ("linear_nobias", False, False), ("linear_2d", True, True)):
        rng = seeded(name)
        fc = nn.Linear(5, 4, bias=bias)
        w = state("fc", fc)
        fc = fc.double()
        x = randn(rng, (B, 5) if twod else (T, B, 5))
        with torch.no_grad():
            y = f64(fc(t64(x)))
        c.append(simple(name, [lay("linear", "fc", {"x": "x"}, in_features=5, out_features=4,
                                   **({} if bias else {"bias": False}))],
                        [inp("x", "float32", [B, 5] if twod else ["T", "B", 5])],
                        {"x": x}, OrderedDict(fc=y),
                        "nn.Linear(5, 4, bias=%s) on a %s input" % (bias, "[B, F]" if twod else "[T, B, F]"),
                        weights=w))
    # activations
    for fn, tf in (("relu", torch.relu), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid),
                   ("gelu", lambda t: torch.nn.functional.gelu(t, approximate="none"))):
        name = "activation_" + fn
        rng = seeded(name)
        x = randn(rng, (T, B, 6), 2.0)
        y = f64(tf(t64(x)))
        c.append(simple(name, [lay("activation", "act", {"x": "x"}, function=fn)], [seq_input("x", 6, False)],
                        {"x": x}, OrderedDict(act=y), "torch %s in float64%s" %
                        (fn, " (erf form, approximate='none')" if fn == "gelu" else "")))
    # activation affine (format 1.1): alpha * x + beta, by the float64 spec evaluation
    for name, alpha, beta in (("activation_affine", -1.5, 0.25), ("activation_affine_alpha0", 0.0, -0.75)):
        rng = seeded(name)
        x = randn(rng, (T, B, 6), 2.0)
        model = desc(name, [seq_input("x", 6, False)],
                     [lay("activation", "act", {"x": "x"}, function="affine", alpha=alpha, beta=beta)], ["act"],
                     version=1.1)
        c.append(Case(name, "float64", "format 1.1: activation affine, %g * x + %g, computed by this script's "
                      "float64 NumPy implementation of the spec" % (alpha, beta), model, OrderedDict(),
                      OrderedDict(x=x), OrderedDict(act=affine(x, alpha, beta))))
    # softmax / log_softmax
    for op, tf in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        for axis in (-1, 0, 1):
            name = "%s_axis%s" % (op, "_last" if axis == -1 else axis)
            rng = seeded(name)
            x = randn(rng, (T, B, 6), 3.0)
            y = f64(tf(t64(x), dim=axis))
            attrs = {} if axis == -1 else {"axis": axis}
            c.append(simple(name, [lay(op, "sm", {"x": "x"}, **attrs)], [seq_input("x", 6, False)],
                            {"x": x}, OrderedDict(sm=y),
                            "torch.%s(dim=%d) in float64%s" % (op, axis, " (axis attribute omitted: default -1)"
                                                               if axis == -1 else "")))
    # dropout
    rng = seeded("dropout")
    x = randn(rng, (T, B, 4))
    drop = nn.Dropout(0.5).eval()
    c.append(simple("dropout", [lay("dropout", "drop", {"x": "x"}, p=0.5)], [seq_input("x", 4, False)],
                    {"x": x}, OrderedDict(drop=f64(drop(t64(x)))), "nn.Dropout(0.5) in eval mode: identity"))
    # add / mul
    for op in ("add", "mul"):
        rng = seeded(op)
        a, b = randn(rng, (T, B, 4)), randn(rng, (T, B, 4))
        y = f64(t64(a) + t64(b) if op == "add" else t64(a) * t64(b))
        c.append(simple(op, [lay(op, "y", {"a": "a", "b": "b"})],
                        [seq_input("a", 4, False), seq_input("b", 4, False)],
                        OrderedDict(a=a, b=b), OrderedDict(y=y), "elementwise %s" % op))
    # concat
    rng = seeded("concat_axis_last")
    xs = [randn(rng, (T, B, f)) for f in (3, 2, 4)]
    c.append(simple("concat_axis_last", [lay("concat", "cat", {"x": ["a", "b", "c"]})],
                    [seq_input(n, f, False) for n, f in zip("abc", (3, 2, 4))],
                    OrderedDict(zip("abc", xs)), OrderedDict(cat=f64(torch.cat([t64(v) for v in xs], -1))),
                    "torch.cat of three sequences on the last axis (axis attribute omitted)"))
    rng = seeded("concat_axis0")
    a, b = randn(rng, (4, B, 3)), randn(rng, (2, B, 3))
    c.append(simple("concat_axis0", [lay("concat", "cat", {"x": ["a", "b"]}, axis=0)],
                    [seq_input("a", 3, False), seq_input("b", 3, False, tsym="S")],
                    OrderedDict(a=a, b=b), OrderedDict(cat=f64(torch.cat([t64(a), t64(b)], 0))),
                    "torch.cat on axis 0 (time) of a [T,B,3] and a [S,B,3] input"))
    # select
    rng = seeded("select_axis1_negative")
    x = randn(rng, (T, B, 4))
    c.append(simple("select_axis1_negative",
                    [lay("select", "s1", {"x": "x"}, axis=1, index=-1),
                     lay("select", "s2", {"x": "x"}, axis=-1, index=2)],
                    [seq_input("x", 4, False)], {"x": x},
                    OrderedDict(s1=f64(t64(x)[:, -1]), s2=f64(t64(x)[:, :, 2])),
                    "select axis 1 index -1 (last batch entry, [T, F]) and axis -1 index 2 ([T, B])"))
    # last_step / mean_pool
    for op, tf in (("last_step", torch_last_step), ("mean_pool", torch_mean_pool)):
        for use_len, bf in ((False, False), (True, False), (True, True)):
            name = op + ("_lengths" if use_len else "") + ("_batch_first" if bf else "")
            rng = seeded(name)
            Tn, Bn = 6, 4
            x = randn(rng, (Tn, Bn, 3))
            lens = rand_lengths(Tn, Bn, rng) if use_len else None
            xin = np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x)
            y = f64(tf(t64(xin), lens, bf))
            inputs = [seq_input("x", 3, bf)]
            data = OrderedDict(x=xin)
            slots = OrderedDict(x="x")
            if use_len:
                inputs.append(inp("lengths", "int32", ["B"]))
                data["lengths"] = lens
                slots["lengths"] = "lengths"
            c.append(simple(name, [lay(op, "pool", slots)], inputs, data, OrderedDict(pool=y),
                            "%s%s%s" % (op, " with lengths %s (zeros where 0)" % lens.tolist() if use_len else "",
                                        "; batch_first" if bf else ""), bf=bf))
    return c


def model_cases():
    """Small whole models: char-LM shapes, classifiers, pooling after an LSTM."""
    c = []
    # embedding -> lstm -> linear (char-LM), int32 and int64 ids, and batch_first with a GRU
    for name, idt in (("charlm_embedding_lstm_linear", "int32"), ("charlm_int64_ids", "int64")):
        rng = seeded(name)
        V, E, H, T, B = 12, 6, 8, 7, 3
        emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H, num_layers=2), nn.Linear(H, V)
        w = OrderedDict(list(state("embed", emb).items()) + list(state("rnn", rnn).items()) +
                        list(state("fc", fc).items()))
        emb, rnn, fc = emb.double(), rnn.double(), fc.double()
        ids = rng.integers(0, V, size=(T, B))
        with torch.no_grad():
            out, (h, cc) = rnn(emb(torch.from_numpy(ids)))
            y = fc(out)
        model = desc(name, [inp("tokens", idt, ["T", "B"])],
                     [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                      lay("lstm", "rnn", {"x": "embed"}, input_size=E, hidden_size=H, num_layers=2),
                      lay("linear", "fc", {"x": "rnn"}, in_features=H, out_features=V)],
                     ["fc", "rnn:h_n", "rnn:c_n"])
        c.append(Case(name, "pytorch", "nn.Embedding(%d,%d) -> nn.LSTM(%d,%d,num_layers=2) -> nn.Linear(%d,%d), "
                      "%s token ids" % (V, E, E, H, H, V, idt), model, w,
                      OrderedDict(tokens=ids.astype(NPY_DTYPES[idt])),
                      OrderedDict([("fc", f64(y)), ("rnn:h_n", f64(h)), ("rnn:c_n", f64(cc))])))
    name = "embedding_gru_linear_batch_first"
    rng = seeded(name)
    V, E, H, T, B = 10, 5, 6, 6, 3
    emb, rnn, fc = nn.Embedding(V, E), nn.GRU(E, H, batch_first=True), nn.Linear(H, V)
    w = OrderedDict(list(state("embed", emb).items()) + list(state("rnn", rnn).items()) +
                    list(state("fc", fc).items()))
    emb, rnn, fc = emb.double(), rnn.double(), fc.double()
    ids = rng.integers(0, V, size=(B, T))
    with torch.no_grad():
        out, h = rnn(emb(torch.from_numpy(ids)))
        y = torch.log_softmax(fc(out), -1)
    model = desc(name, [inp("tokens", "int32", ["B", "T"])],
                 [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                  lay("gru", "rnn", {"x": "embed"}, input_size=E, hidden_size=H),
                  lay("linear", "fc", {"x": "rnn"}, in_features=H, out_features=V),
                  lay("log_softmax", "logp", {"x": "fc"})],
                 ["logp", "rnn:h_n"], batch_first=True)
    c.append(Case(name, "pytorch", "batch_first token ids [B,T] -> nn.Embedding -> nn.GRU(batch_first=True) -> "
                  "nn.Linear -> log_softmax", model, w, OrderedDict(tokens=ids.astype(np.int32)),
                  OrderedDict([("logp", f64(y)), ("rnn:h_n", f64(h))])))
    # one_hot -> lstm -> linear
    name = "onehot_lstm_linear"
    rng = seeded(name)
    V, H, T, B = 9, 7, 6, 3
    rnn, fc = nn.LSTM(V, H), nn.Linear(H, V)
    w = OrderedDict(list(state("rnn", rnn).items()) + list(state("fc", fc).items()))
    rnn, fc = rnn.double(), fc.double()
    ids = rng.integers(0, V, size=(T, B))
    with torch.no_grad():
        out, (h, cc) = rnn(torch.nn.functional.one_hot(torch.from_numpy(ids), V).double())
        y = fc(out)
    model = desc(name, [inp("tokens", "int32", ["T", "B"])],
                 [lay("one_hot", "onehot", {"x": "tokens"}, depth=V),
                  lay("lstm", "rnn", {"x": "onehot"}, input_size=V, hidden_size=H),
                  lay("linear", "fc", {"x": "rnn"}, in_features=H, out_features=V)],
                 ["fc", "rnn:h_n", "onehot"])
    c.append(Case(name, "pytorch", "F.one_hot(ids, %d) -> nn.LSTM(%d,%d) -> nn.Linear(%d,%d)" % (V, V, H, H, V),
                  model, w, OrderedDict(tokens=ids.astype(np.int32)),
                  OrderedDict([("fc", f64(y)), ("rnn:h_n", f64(h)),
                               ("onehot", np.eye(V)[ids])])))
    # classifier: embedding -> lstm (lengths) -> select(h_n, last layer) -> linear -> log_softmax
    name = "lstm_classifier_select_hn"
    rng = seeded(name)
    V, E, H, T, B, K = 11, 5, 6, 7, 4, 3
    emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H, num_layers=2), nn.Linear(H, K)
    w = OrderedDict(list(state("embed", emb).items()) + list(state("rnn", rnn).items()) +
                    list(state("fc", fc).items()))
    emb, rnn, fc = emb.double(), rnn.double(), fc.double()
    ids = rng.integers(0, V, size=(T, B))
    lens = rand_lengths(T, B, rng)
    with torch.no_grad():
        out, h, cc = torch_recurrent(rnn, emb(torch.from_numpy(ids)), lens)
        y = torch.log_softmax(fc(h[-1]), -1)
    model = desc(name, [inp("tokens", "int32", ["T", "B"]), inp("lengths", "int32", ["B"])],
                 [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                  lay("lstm", "rnn", {"x": "embed", "lengths": "lengths"}, input_size=E, hidden_size=H,
                      num_layers=2),
                  lay("select", "last", {"x": "rnn:h_n"}, axis=0, index=-1),
                  lay("linear", "fc", {"x": "last"}, in_features=H, out_features=K),
                  lay("log_softmax", "logp", {"x": "fc"})],
                 ["logp", "last"])
    c.append(Case(name, "pytorch", "embedding -> 2-layer LSTM with lengths %s -> select h_n[-1] -> linear -> "
                  "log_softmax" % lens.tolist(), model, w,
                  OrderedDict(tokens=ids.astype(np.int32), lengths=lens),
                  OrderedDict([("logp", f64(y)), ("last", f64(h[-1]))])))
    # bidirectional lstm (lengths) -> last_step + mean_pool -> concat -> linear
    for bf in (False, True):
        name = "bilstm_last_step_mean_pool_lengths" + ("_batch_first" if bf else "")
        rng = seeded("bilstm_last_step_mean_pool_lengths")
        I, H, T, B = 3, 4, 6, 4
        rnn, fc = nn.LSTM(I, H, bidirectional=True, batch_first=bf), nn.Linear(4 * H, 2)
        w = OrderedDict(list(state("rnn", rnn).items()) + list(state("fc", fc).items()))
        rnn, fc = rnn.double(), fc.double()
        x = randn(rng, (T, B, I))
        lens = rand_lengths(T, B, rng)
        xin = np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x)
        with torch.no_grad():
            out, _, _ = torch_recurrent(rnn, t64(xin), lens)
            last = torch_last_step(out, lens, bf)
            mean = torch_mean_pool(out, lens, bf)
            y = fc(torch.cat([last, mean], -1))
        model = desc(name, [seq_input("x", I, bf), inp("lengths", "int32", ["B"])],
                     [lay("lstm", "rnn", {"x": "x", "lengths": "lengths"}, input_size=I, hidden_size=H,
                          bidirectional=True),
                      lay("last_step", "last", {"x": "rnn", "lengths": "lengths"}),
                      lay("mean_pool", "mean", {"x": "rnn", "lengths": "lengths"}),
                      lay("concat", "cat", {"x": ["last", "mean"]}),
                      lay("linear", "fc", {"x": "cat"}, in_features=4 * H, out_features=2)],
                     ["fc", "last", "mean"], batch_first=bf)
        c.append(Case(name, "pytorch", "bidirectional LSTM with lengths %s -> last_step and mean_pool (with "
                      "lengths) -> concat -> linear%s" % (lens.tolist(), "; batch_first" if bf else ""),
                      model, w, OrderedDict(x=xin, lengths=lens),
                      OrderedDict([("fc", f64(y)), ("last", f64(last)), ("mean", f64(mean))])))
    # select on h_n of a bidirectional 2-layer LSTM
    name = "select_hn_bidir2"
    rng = seeded(name)
    rnn = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    w = state("rnn", rnn)
    rnn = rnn.double()
    x = randn(rng, (5, 3, 3))
    with torch.no_grad():
        out, (h, cc) = rnn(t64(x))
    model = desc(name, [seq_input("x", 3, False)],
                 [lay("lstm", "rnn", {"x": "x"}, input_size=3, hidden_size=4, num_layers=2, bidirectional=True),
                  lay("select", "last_rev", {"x": "rnn:h_n"}, axis=0, index=-1),
                  lay("select", "last_fwd", {"x": "rnn:h_n"}, axis=0, index=2),
                  lay("select", "c_first", {"x": "rnn:c_n"}, axis=0, index=-4)],
                 ["last_rev", "last_fwd", "c_first"])
    c.append(Case(name, "pytorch", "select on h_n/c_n [4,B,H] of a 2-layer bidirectional LSTM: index -1 (last "
                  "layer, reverse), 2 (last layer, forward), -4 (first row)", model, w, OrderedDict(x=x),
                  OrderedDict([("last_rev", f64(h[-1])), ("last_fwd", f64(h[2])), ("c_first", f64(cc[0]))])))
    return c

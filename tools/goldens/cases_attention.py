"""Case lists of the attention ops (attention with every score, Luong
encoder-decoder, attention_pool, a text classifier, multi-head attention),
through torch code following the spec's equations and
nn.MultiheadAttention, in float64."""

from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

from .case import Case, desc, inp, lay, rand_lengths, randn, seq_input
from .torch_eval import (AttentionPool, amplify, btf, f64, make_scorer, seeded, state, t64, torch_attention,
                         torch_recurrent)


def _score_attrs(score, A):
    if score.startswith("additive"):
        return {"score": "additive", "attention_size": A}
    return {"score": score}


def attention_case(name, score, query_kind, use_len, bf=False, separate_values=False):
    rng = seeded(name)
    I, B, S, T, A = 3, 4, 6, 4, 5
    square = score in ("dot", "scaled_dot")
    w = OrderedDict()
    layers = []
    inputs = [seq_input("src", I, bf, tsym="S")]
    src = randn(rng, (S, B, I))
    lens = rand_lengths(S, B, rng) if use_len else None
    src_in = np.ascontiguousarray(src.transpose(1, 0, 2) if bf else src)
    data = OrderedDict(src=src_in)
    enc_slots = OrderedDict(x="src")
    if use_len:
        enc_slots["lengths"] = "lengths"
    # Encoder: 2-layer LSTM H=6 (square scores) or bidirectional LSTM H=4 (keys 8 wide).
    if square:
        enc = nn.LSTM(I, 6, num_layers=2, batch_first=bf)
        layers.append(lay("lstm", "enc", enc_slots, input_size=I, hidden_size=6, num_layers=2))
        Hk = 6
    else:
        enc = nn.LSTM(I, 4, bidirectional=True, batch_first=bf)
        layers.append(lay("lstm", "enc", enc_slots, input_size=I, hidden_size=4, bidirectional=True))
        Hk = 8
    w.update(state("enc", amplify(enc, 3.0)))
    enc = enc.double()
    att_slots = OrderedDict()
    if query_kind == "vec":
        Hq = 6 if square else 4
        layers.append(lay("select", "query", {"x": "enc:h_n"}, axis=0, index=-1))
        att_slots["query"] = "query"
    else:
        tgt = randn(rng, (T, B, I))
        tgt_in = np.ascontiguousarray(tgt.transpose(1, 0, 2) if bf else tgt)
        inputs.append(seq_input("tgt", I, bf))
        data["tgt"] = tgt_in
        if square:   # decoder starts from the encoder's final state
            dec = nn.LSTM(I, 6, num_layers=2, batch_first=bf)
            layers.append(lay("lstm", "dec", {"x": "tgt", "h0": "enc:h_n", "c0": "enc:c_n"}, input_size=I,
                              hidden_size=6, num_layers=2))
            Hq = 6
        else:
            dec = nn.LSTM(I, 5, batch_first=bf)
            layers.append(lay("lstm", "dec", {"x": "tgt"}, input_size=I, hidden_size=5))
            Hq = 5
        w.update(state("dec", amplify(dec, 3.0)))
        dec = dec.double()
        att_slots["query"] = "dec"
    att_slots["keys"] = "enc"
    scorer = make_scorer(score, Hq, Hk, A)
    if scorer is not None:
        w.update(state("att", amplify(scorer, 4.0)))
        scorer = scorer.double()
    if separate_values:
        val = nn.Linear(Hk, 3)
        w.update(state("val", val))
        val = val.double()
        layers.append(lay("linear", "val", {"x": "enc"}, in_features=Hk, out_features=3))
        att_slots["values"] = "val"
    if use_len:
        inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = lens
        att_slots["lengths"] = "lengths"
    layers.append(lay("attention", "att", att_slots, **_score_attrs(score, A)))
    with torch.no_grad():
        keys, h_n, c_n = torch_recurrent(enc, t64(src_in), lens)
        if query_kind == "vec":
            q = h_n[-1]
        else:
            q, _, _ = torch_recurrent(dec, t64(tgt_in), None, h_n, c_n) if square else \
                torch_recurrent(dec, t64(tgt_in))
        values = val(keys) if separate_values else keys
        ctx, wts = torch_attention(q, keys, values, lens, score, scorer, bf)
    model = desc(name, inputs, layers, ["att", "att:weights"], batch_first=bf)
    descr = ("%s attention%s; %s; keys = LSTM encoder outputs%s%s%s" % (
        score.replace("_nobias", " without key.bias"),
        " (attention_size %d)" % A if score.startswith("additive") else "",
        "query = last layer of the encoder's h_n ([B, H] query)" if query_kind == "vec" else
        "query = decoder LSTM outputs (sequence query, Tq=%d, Tk=%d)" % (T, S),
        " with lengths %s (a row with no valid key: zero weights and context)" % lens.tolist() if use_len else "",
        "; values = linear(keys), 3 wide" if separate_values else "", "; batch_first" if bf else ""))
    return Case(name, "pytorch", descr, model, w, data, OrderedDict([("att", f64(ctx)), ("att:weights", f64(wts))]))


def luong_case(name, bf):
    """Luong 'general' attention in an encoder-decoder: attentional hidden
    tanh(W [context; decoder]) -> vocabulary log-probabilities."""
    rng = seeded("luong_encoder_decoder")
    I, B, S, T, H, V = 4, 3, 6, 5, 6, 7
    enc, dec = nn.LSTM(I, H, batch_first=bf), nn.LSTM(I, H, batch_first=bf)
    att = nn.Linear(H, H, bias=False)
    comb, out = nn.Linear(2 * H, H, bias=False), nn.Linear(H, V)
    for mdl in (enc, dec, att):
        amplify(mdl, 3.0)
    w = OrderedDict()
    for p, mdl in (("enc", enc), ("dec", dec), ("att", att), ("comb", comb), ("out", out)):
        w.update(state(p, mdl))
    enc, dec, att, comb, out = (mdl.double() for mdl in (enc, dec, att, comb, out))
    src, tgt = randn(rng, (S, B, I)), randn(rng, (T, B, I))
    lens = rand_lengths(S, B, rng, zero=False)
    src_in = np.ascontiguousarray(src.transpose(1, 0, 2) if bf else src)
    tgt_in = np.ascontiguousarray(tgt.transpose(1, 0, 2) if bf else tgt)
    with torch.no_grad():
        keys, h_n, c_n = torch_recurrent(enc, t64(src_in), lens)
        q, _, _ = torch_recurrent(dec, t64(tgt_in), None, h_n, c_n)
        ctx, wts = torch_attention(q, keys, keys, lens, "general", att, bf)
        hid = torch.tanh(comb(torch.cat([ctx, q], -1)))
        logp = torch.log_softmax(out(hid), -1)
    model = desc(name, [seq_input("src", I, bf, tsym="S"), seq_input("tgt", I, bf), inp("lengths", "int32", ["B"])],
                 [lay("lstm", "enc", {"x": "src", "lengths": "lengths"}, input_size=I, hidden_size=H),
                  lay("lstm", "dec", {"x": "tgt", "h0": "enc:h_n", "c0": "enc:c_n"}, input_size=I, hidden_size=H),
                  lay("attention", "att", {"query": "dec", "keys": "enc", "lengths": "lengths"}, score="general"),
                  lay("concat", "cat", {"x": ["att", "dec"]}, axis=-1),
                  lay("linear", "comb", {"x": "cat"}, in_features=2 * H, out_features=H, bias=False),
                  lay("activation", "hid", {"x": "comb"}, function="tanh"),
                  lay("linear", "out", {"x": "hid"}, in_features=H, out_features=V),
                  lay("log_softmax", "logp", {"x": "out"})],
                 ["logp", "att:weights", "hid"], batch_first=bf)
    descr = ("Luong encoder-decoder: encoder LSTM with lengths %s, decoder LSTM from the encoder's final state, "
             "general attention (decoder outputs as queries), tanh(W[context; decoder]) -> linear -> log_softmax%s"
             % (lens.tolist(), "; batch_first (same model and data as luong_encoder_decoder)" if bf else ""))
    return Case(name, "pytorch", descr, model, w, OrderedDict(src=src_in, tgt=tgt_in, lengths=lens),
                OrderedDict([("logp", f64(logp)), ("att:weights", f64(wts)), ("hid", f64(hid))]))


def attention_pool_case(name, use_len, act="relu", bf=False):
    rng = seeded(name)
    F, A, T, B = 6, 5, 6, 4
    pool = AttentionPool(F, A, act)
    amplify(pool.projection[2], 3.0)
    w = state("pool", pool)
    pool = pool.double()
    x = randn(rng, (T, B, F))
    lens = rand_lengths(T, B, rng) if use_len else None
    xin = np.ascontiguousarray(x.transpose(1, 0, 2) if bf else x)
    with torch.no_grad():
        y, wts = pool(btf(t64(xin), bf), lens)
    slots = OrderedDict(x="x")
    inputs = [seq_input("x", F, bf)]
    data = OrderedDict(x=xin)
    if use_len:
        slots["lengths"] = "lengths"
        inputs.append(inp("lengths", "int32", ["B"]))
        data["lengths"] = lens
    attrs = {"hidden": A}
    if act != "relu":
        attrs["activation"] = act
    model = desc(name, inputs, [lay("attention_pool", "pool", slots, **attrs)], ["pool", "pool:weights"],
                 batch_first=bf)
    descr = ("attention_pool: projection = nn.Sequential(nn.Linear(%d,%d), nn.%s(), nn.Linear(%d,1))%s%s" %
             (F, A, {"relu": "ReLU", "tanh": "Tanh"}[act], A,
              "; lengths %s (zeros where 0)" % lens.tolist() if use_len else "", "; batch_first" if bf else ""))
    return Case(name, "pytorch", descr, model, w, data, OrderedDict([("pool", f64(y)), ("pool:weights", f64(wts))]))


def text_classifier_case():
    name = "text_classifier_attention_pool"
    rng = seeded(name)
    V, E, H, A, K, T, B = 15, 6, 4, 5, 3, 7, 4
    emb, rnn, pool, fc = nn.Embedding(V, E), nn.LSTM(E, H, bidirectional=True), AttentionPool(2 * H, A, "relu"), \
        nn.Linear(2 * H, K)
    amplify(rnn, 3.0)
    amplify(pool.projection[2], 3.0)
    w = OrderedDict()
    for p, mdl in (("embed", emb), ("rnn", rnn), ("pool", pool), ("fc", fc)):
        w.update(state(p, mdl))
    emb, rnn, pool, fc = (mdl.double() for mdl in (emb, rnn, pool, fc))
    ids = rng.integers(0, V, size=(T, B))
    lens = rand_lengths(T, B, rng)
    with torch.no_grad():
        out, _, _ = torch_recurrent(rnn, emb(torch.from_numpy(ids)), lens)
        y, wts = pool(out.transpose(0, 1), lens)
        probs = torch.softmax(fc(y), -1)
    model = desc(name, [inp("tokens", "int32", ["T", "B"]), inp("lengths", "int32", ["B"])],
                 [lay("embedding", "embed", {"x": "tokens"}, num_embeddings=V, embedding_dim=E),
                  lay("lstm", "rnn", {"x": "embed", "lengths": "lengths"}, input_size=E, hidden_size=H,
                      bidirectional=True),
                  lay("attention_pool", "pool", {"x": "rnn", "lengths": "lengths"}, hidden=A),
                  lay("linear", "fc", {"x": "pool"}, in_features=2 * H, out_features=K),
                  lay("softmax", "probs", {"x": "fc"})],
                 ["probs", "pool:weights"])
    return Case(name, "pytorch", "embedding -> bidirectional LSTM with lengths %s -> attention_pool -> linear -> "
                "softmax (a length-0 row: zero pooled vector, so softmax of the bias)" % lens.tolist(), model, w,
                OrderedDict(tokens=ids.astype(np.int32), lengths=lens),
                OrderedDict([("probs", f64(probs)), ("pool:weights", f64(wts))]))


def mha_case(name, bf=False, use_len=False, causal=False, bias=True, cross=None, concrete=False):
    """nn.MultiheadAttention(need_weights=True, average_attn_weights=True).
    cross: None (self-attention), "kv" (key = value = memory), "qkv" (three inputs)."""
    rng = seeded(name)
    E, nh, T, S, B = 8, 2, 5, 6, 3
    mha = nn.MultiheadAttention(E, nh, bias=bias, batch_first=bf)
    w = state("mha", mha)
    mha = mha.double().eval()
    Tk = S if cross else T
    x = randn(rng, (T, B, E))
    seqs = OrderedDict(x=x)
    if cross:
        seqs["mem"] = randn(rng, (S, B, E))
        if cross == "qkv":
            seqs["val"] = randn(rng, (S, B, E))
    lens = rand_lengths(Tk, B, rng, zero=False) if use_len else None
    data = OrderedDict((k, np.ascontiguousarray(v.transpose(1, 0, 2) if bf else v)) for k, v in seqs.items())
    if concrete:
        inputs = [inp(k, "float32", list(v.shape)) for k, v in data.items()]
    else:
        inputs = [seq_input(k, E, bf, tsym="T" if k == "x" else "S") for k in data]
    slots = OrderedDict(query="x")
    if cross:
        slots["key"] = "mem"
        slots["value"] = "val" if cross == "qkv" else "mem"
    if use_len:
        inputs.append(inp("lengths", "int32", [B] if concrete else ["B"]))
        data["lengths"] = lens
        slots["lengths"] = "lengths"
    attrs = OrderedDict(embed_dim=E, num_heads=nh)
    if not bias:
        attrs["bias"] = False
    if causal:
        attrs["causal"] = True
    q = t64(data["x"])
    k = t64(data["mem"]) if cross else q
    v = t64(data["val"]) if cross == "qkv" else k
    kpm = (torch.arange(Tk)[None, :] >= torch.from_numpy(lens.astype(np.int64))[:, None]) if use_len else None
    mask = torch.triu(torch.ones(T, Tk, dtype=torch.bool), diagonal=1) if causal else None
    with torch.no_grad():
        y, wts = mha(q, k, v, key_padding_mask=kpm, need_weights=True, attn_mask=mask, average_attn_weights=True)
    model = desc(name, inputs, [lay("multihead_attention", "mha", slots, **attrs)], ["mha", "mha:weights"],
                 batch_first=bf)
    what = {None: "self-attention", "kv": "cross-attention (key = value = memory input, Tk=%d)" % S,
            "qkv": "query, key and value from three inputs (Tk=%d)" % S}[cross]
    descr = "nn.MultiheadAttention(%d, %d, bias=%s, batch_first=%s), %s%s%s" % (
        E, nh, bias, bf, what, "; key padding from lengths %s" % lens.tolist() if use_len else "",
        "; causal (attn_mask = upper triangle)" if causal else "")
    return Case(name, "pytorch", descr, model, w, data, OrderedDict([("mha", f64(y)), ("mha:weights", f64(wts))]))


def attention_cases():
    c = []
    for score in ("dot", "scaled_dot", "general", "additive", "additive_nobias"):
        for qk in ("vec", "seq"):
            for use_len in (False, True):
                c.append(attention_case("attention_%s_%sq%s" % (score, qk, "_lengths" if use_len else ""),
                                        score, qk, use_len))
    c.append(attention_case("attention_general_seqq_lengths_batch_first", "general", "seq", True, bf=True))
    c.append(attention_case("attention_additive_vecq_lengths_batch_first", "additive", "vec", True, bf=True))
    c.append(attention_case("attention_scaled_dot_vecq_lengths_values", "scaled_dot", "vec", True,
                            separate_values=True))
    c.append(luong_case("luong_encoder_decoder", False))
    c.append(luong_case("luong_encoder_decoder_batch_first", True))
    c.append(attention_pool_case("attention_pool", False))
    c.append(attention_pool_case("attention_pool_lengths", True))
    c.append(attention_pool_case("attention_pool_tanh_lengths_batch_first", True, act="tanh", bf=True))
    c.append(text_classifier_case())
    c.append(mha_case("mha_self"))
    c.append(mha_case("mha_self_lengths", use_len=True))
    c.append(mha_case("mha_self_lengths_batch_first", bf=True, use_len=True))
    c.append(mha_case("mha_causal", causal=True, concrete=True))
    c.append(mha_case("mha_causal_batch_first", bf=True, causal=True))
    c.append(mha_case("mha_causal_lengths", causal=True, use_len=True))
    c.append(mha_case("mha_cross_lengths", cross="kv", use_len=True))
    c.append(mha_case("mha_qkv_lengths_batch_first", cross="qkv", use_len=True, bf=True))
    c.append(mha_case("mha_nobias", bias=False))
    return c

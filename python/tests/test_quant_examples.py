"""Issue 14's accuracy targets for int8 on the shipped examples: each model
converted with seqrt.quantize (int8-dynamic, per output row, the qnnpack
rule) and run on the reference backend (the oracle of PyTorch's
quantize_dynamic) next to its f32 original:

- the char-LM's loss on held-out text (the last 5 % of the licence texts it
  was trained on, tools/make_example_charlm.py, in 8 rows) within 0.02
  nats/char of f32's;
- the licence classifier's accuracy on its held-out lines
  (examples/licence/heldout.tsv) within 1 point of f32's, which is the one
  the model's metadata documents.

The figures are printed (pytest -s) for the session note."""
import json
import os
import sys

import numpy as np
import pytest

from conftest import REPO

import seqrt
from seqrt import formats
from seqrt import quantize as sq

sys.path.insert(0, os.path.join(REPO, "tools"))

CHARLM = os.path.join(REPO, "examples", "charlm", "charlm.json")
LICENCE = os.path.join(REPO, "examples", "licence", "licence.json")


def _int8(src, tmp_path):
    out = str(tmp_path / (os.path.basename(src)[:-5] + "_int8.json"))
    with open(src) as f:
        desc = json.load(f)
    weights = formats.read_safetensors(os.path.join(os.path.dirname(src), desc["weights"]))
    new, tensors, notes = sq.convert(desc, weights, "int8")
    new["weights"] = os.path.basename(out)[:-5] + ".safetensors"
    sq.write_weights(out[:-5] + ".safetensors", tensors)
    formats.write_description(out, new)
    assert not notes, notes
    return out


def _charlm_loss(path, ids):
    """Mean -log p(next character) over [T, B] ids, on the reference."""
    with seqrt.Model(path) as m, seqrt.Session(m, "reference") as s:
        probs = s.run({"tokens": ids[:-1].astype(np.int32)})["probs"]          # [T-1, B, V]
    nxt = ids[1:]
    p = np.take_along_axis(probs, nxt[..., None].astype(np.int64), axis=-1)[..., 0]
    return float(-np.log(np.maximum(p.astype(np.float64), 1e-30)).mean())


def test_charlm_int8_heldout_loss_within_0_02_nats(tmp_path):
    mc = pytest.importorskip("make_example_charlm")
    text, _ = mc.licence_text()
    held = text[int(len(text) * 0.95):]
    with open(CHARLM) as f:
        vocab = json.load(f)["metadata"]["vocab"]
    idx = {c: i for i, c in enumerate(vocab)}
    B = 8
    T = len(held) // B  # the whole held-out text, in 8 rows
    assert T > 1000, "held-out text shorter than expected: %d characters" % len(held)
    ids = np.array([[idx[c] for c in held[b * T:(b + 1) * T]] for b in range(B)], np.int64).T  # [T, B]
    f32 = _charlm_loss(CHARLM, ids)
    int8 = _charlm_loss(_int8(CHARLM, tmp_path), ids)
    print("charlm held-out loss (%d characters): f32 %.4f nats/char, int8-dynamic %.4f (diff %+.4f)"
          % (B * (T - 1), f32, int8, int8 - f32))
    assert 1.0 < f32 < 3.0, "the f32 model's held-out loss %.3f is not the documented kind" % f32
    assert abs(int8 - f32) <= 0.02


def test_licence_int8_heldout_accuracy_within_1_point(tmp_path):
    ml = pytest.importorskip("make_example_licence")
    with open(LICENCE) as f:
        desc = json.load(f)
    meta = desc["metadata"]
    tok = ml.Tokenizer(meta["vocab"])
    labels = meta["labels"]
    items = []
    with open(os.path.join(REPO, "examples", "licence", "heldout.tsv"), encoding="utf-8") as f:
        for line in f:
            label, text = line.rstrip("\n").split("\t", 1)
            items.append((tok(" ".join(text.split())), labels.index(label)))
    f32 = ml.seqrt_accuracy(LICENCE, items)[0]
    int8 = ml.seqrt_accuracy(_int8(LICENCE, tmp_path), items)[0]
    print("licence held-out accuracy (%d lines): f32 %.4f, int8-dynamic %.4f (diff %+.4f)"
          % (len(items), f32, int8, int8 - f32))
    assert abs(f32 - meta["held_out_accuracy"]) <= 0.005, (f32, meta["held_out_accuracy"])
    assert abs(int8 - f32) <= 0.01

#!/usr/bin/python3
"""Trains the licence classifier shipped in examples/licence: which licence
family a line of text comes from.

Data: the lines of the licence texts Debian ships in /usr/share/common-licenses
(regular files; symlinks skipped), grouped into families (GPL-1/2/3 -> GPL,
LGPL-2/2.1/3 -> LGPL, GFDL-1.2/1.3 -> GFDL, MPL-1.1/2.0 -> MPL, Apache-2.0,
Artistic, BSD, CC0-1.0). Whitespace is folded, lines shorter than 20
characters are dropped, a line found in two families is dropped, duplicates
are kept once; then 20% of each family's lines are held out (seeded).
Tokens: the printable ASCII characters plus the 400 most frequent words of
the training lines, bare and with a leading space (text split by longest
match, as `seqrt classify` does), id 0 for anything else (metadata.unk).
Model: tokens -> nn.Embedding(V, 48) -> nn.Dropout(0.3) -> bidirectional
nn.LSTM(48, 64) over the packed lines -> seqrt.export.AttentionPool (self-attention pooling) ->
nn.Dropout(0.3) -> nn.Linear(128, 8) -> nn.Softmax. Exported with seqrt.export (tools/seqrt_export.py;
checked against PyTorch); the held-out accuracy is then measured again
with seqrt itself (the library, in process), from the written files.

    /usr/bin/python3 tools/make_example_licence.py [--epochs 12] [--words 400] [--out examples/licence]
                                                   [--device reference]

Writes licence.json, licence.safetensors and heldout.tsv (LABEL<tab>LINE, the
held-out lines).
"""
import argparse
import glob
import os
import random
import re
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import seqrt  # noqa: E402
import seqrt.export as sx  # noqa: E402
from seqrt import formats as sf  # noqa: E402

LICENSES = "/usr/share/common-licenses"
FAMILY = OrderedDict([("Apache-2.0", "Apache-2.0"), ("Artistic", "Artistic"), ("BSD", "BSD"),
                      ("CC0-1.0", "CC0-1.0"), ("GFDL", "GFDL"), ("GPL", "GPL"), ("LGPL", "LGPL"),
                      ("MPL", "MPL")])
UNK = "\ufffd"
CHARS = [chr(c) for c in range(32, 127)]


def family(fname):
    base = os.path.basename(fname)
    for prefix in ("LGPL", "GPL", "GFDL", "MPL"):
        if base.startswith(prefix):
            return prefix
    return base if base in FAMILY else None


def load_lines():
    by_line = {}
    for f in sorted(glob.glob(os.path.join(LICENSES, "*"))):
        if not os.path.isfile(f) or os.path.islink(f) or family(f) is None:
            continue
        for raw in open(f, encoding="utf-8", errors="replace"):
            line = " ".join(raw.split())
            if len(line) >= 20:
                by_line.setdefault(line, set()).add(family(f))
    return sorted((ln, next(iter(fams))) for ln, fams in by_line.items() if len(fams) == 1)


def make_vocab(train_lines, nwords):
    """[UNK] + printable ASCII + the nwords most frequent words (3 letters or
    more) of the training lines: text is split by longest match, as seqrt
    does, so a frequent word is one token and anything else spells out."""
    freq = {}
    for ln in train_lines:
        for w in re.findall(r"[A-Za-z]{3,}", ln):
            freq[w] = freq.get(w, 0) + 1
    words = sorted(freq, key=lambda w: (-freq[w], w))[:nwords]
    return [UNK] + CHARS + sorted(words) + sorted(" " + w for w in words)


class Tokenizer:
    """Greedy longest match against the vocabulary, like seqrt's CLI;
    a character no entry matches becomes UNK (id 0)."""

    def __init__(self, vocab):
        self.idx = {t: i for i, t in enumerate(vocab)}
        self.longest = max(len(t) for t in vocab)

    def __call__(self, text):
        ids, i = [], 0
        while i < len(text):
            for n in range(min(self.longest, len(text) - i), 0, -1):
                t = self.idx.get(text[i:i + n])
                if t is not None:
                    ids.append(t)
                    i += n
                    break
            else:
                ids.append(0)
                i += 1
        return ids


class LicenceClassifier(nn.Module):
    def __init__(self, V, C, E=48, H=64, A=64, dropout=0.3):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.drop_in = nn.Dropout(dropout)
        self.drop_out = nn.Dropout(dropout)
        self.rnn = nn.LSTM(E, H, bidirectional=True)
        self.pool = sx.AttentionPool(2 * H, hidden=A)
        self.fc = nn.Linear(2 * H, C)
        self.probs = nn.Softmax(dim=-1)
        self.logits_only = False   # training reads the logits

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.drop_in(self.embed(tokens)), lengths, enforce_sorted=False)
        y, _ = self.rnn(packed)
        y, _ = pad_packed_sequence(y, total_length=tokens.shape[0])
        pooled, weights = self.pool(y, lengths)
        logits = self.fc(self.drop_out(pooled))
        if self.logits_only:
            return logits
        return self.probs(logits), weights


def batch(items, drop=0.0, rng=None):
    """[T, B] ids (padded with 0) and lengths for (ids, label) items."""
    T = max(len(ids) for ids, _ in items)
    x = torch.zeros(T, len(items), dtype=torch.long)
    for b, (ids, _) in enumerate(items):
        ids = [0 if (drop and rng.random() < drop) else i for i in ids]
        x[:len(ids), b] = torch.tensor(ids)
    lengths = torch.tensor([len(ids) for ids, _ in items], dtype=torch.long)
    y = torch.tensor([lab for _, lab in items], dtype=torch.long)
    return x, lengths, y


def accuracy(model, items, bs=256):
    model.logits_only = True
    right = 0
    with torch.no_grad():
        for i in range(0, len(items), bs):
            x, lengths, y = batch(items[i:i + bs])
            right += int((model(x, lengths).argmax(-1) == y).sum())
    model.logits_only = False
    return right / len(items)


def seqrt_accuracy(path, items, bs=128, device="reference"):
    """Held-out accuracy measured by seqrt (the written model run through the
    library, in process, on `device`): (accuracy, top-2 accuracy, {label
    index: (right, count)}, confusions)."""
    right, top2, per, confusions = 0, 0, {}, {}
    with seqrt.Model(path, strict=True) as model, seqrt.Session(model, device=device) as session:
        for i in range(0, len(items), bs):
            x, lengths, y = batch(items[i:i + bs])
            out = session.run({"tokens": sf.npy_array(x.numpy()),
                               "lengths": sf.npy_array(lengths.numpy())})["probs"]
            pred = out.argmax(-1)
            second = np.argsort(-out, axis=-1)[:, 1]
            for p, q, t in zip(pred, second, y.numpy()):
                right += int(p == t)
                top2 += int(p == t or q == t)
                r, n = per.get(int(t), (0, 0))
                per[int(t)] = (r + int(p == t), n + 1)
                if p != t:
                    confusions[(int(t), int(p))] = confusions.get((int(t), int(p)), 0) + 1
    return right / len(items), top2 / len(items), per, confusions


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--words", type=int, default=400, help="words in the vocabulary besides the characters")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                  "examples", "licence"))
    ap.add_argument("--device", default="reference", help="the seqrt device of the export check and accuracy")
    args = ap.parse_args()
    torch.manual_seed(4321)
    torch.set_num_threads(1)
    rng = random.Random(4321)
    labels = list(FAMILY)
    lines = load_lines()
    train, held = [], []
    for lab in labels:
        mine = [ln for ln, f in lines if f == lab]
        rng.shuffle(mine)
        k = max(1, round(0.2 * len(mine)))
        held += [(ln, lab) for ln in mine[:k]]
        train += [(ln, lab) for ln in mine[k:]]
    li = {lab: i for i, lab in enumerate(labels)}
    vocab = make_vocab([ln for ln, _ in train], args.words)
    encode = Tokenizer(vocab)
    train_items = [(encode(ln), li[lab]) for ln, lab in train]
    held_items = [(encode(ln), li[lab]) for ln, lab in held]
    print("vocabulary: %d entries; %.1f tokens per line" % (len(vocab), np.mean([len(i) for i, _ in train_items])))
    counts = {lab: (sum(1 for _, f in train if f == lab), sum(1 for _, f in held if f == lab)) for lab in labels}
    print("lines (train, held out):", counts)

    model = LicenceClassifier(len(vocab), len(labels))
    opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs, eta_min=5e-4)
    t0, c0 = time.time(), time.process_time()
    bs = 32
    for ep in range(args.epochs):
        model.train()
        model.logits_only = True
        order = list(range(len(train_items)))
        rng.shuffle(order)
        total = 0.0
        for i in range(0, len(order), bs):
            x, lengths, y = batch([train_items[j] for j in order[i:i + bs]], drop=0.03, rng=rng)
            loss = nn.functional.cross_entropy(model(x, lengths), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item() * len(y)
        sched.step()
        model.eval()
        print("epoch %d  loss %.3f  train acc %.3f  held-out acc %.3f  (%.0f s)"
              % (ep, total / len(train_items), accuracy(model, train_items), accuracy(model, held_items),
                 time.time() - t0), flush=True)
    train_time, train_cpu = time.time() - t0, time.process_time() - c0
    model.eval()
    torch_acc = accuracy(model, held_items)

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "licence.json")
    meta = OrderedDict([
        ("vocab", vocab), ("unk", 0), ("normalize", "whitespace"), ("labels", labels), ("output", "probs"),
        ("description", "which licence family a line of text comes from: tokens (characters and %d frequent "
                        "words, longest match) -> embedding(%d, 48) -> dropout -> bidirectional LSTM(64) -> "
                        "attention pooling -> dropout -> linear(8) -> softmax" % (args.words, len(vocab))),
        ("trained_on", "lines of %s: %d for training, %d held out (20%% of each family, seeded)"
                       % (LICENSES, len(train), len(held))),
        ("training", "tools/make_example_licence.py --epochs %d: AdamW (weight decay 0.01), batches of 32 lines, one CPU thread: "
                     "%d s of CPU (%d s wall clock)" % (args.epochs, round(train_cpu), round(train_time))),
    ])
    rep = sx.export(model, path, name="licence", metadata=meta, weights_dtype="F16", device=args.device)
    print(rep)
    acc, top2, per, confusions = seqrt_accuracy(path, held_items, device=args.device)
    print("held-out accuracy: %.4f with seqrt (%s), %.4f with PyTorch (F32 weights); "
          "top-2 %.4f" % (acc, args.device, torch_acc, top2))
    for (t, p), n in sorted(confusions.items(), key=lambda kv: -kv[1])[:6]:
        print("  %3d %-10s lines taken for %s" % (n, labels[t], labels[p]))
    meta["held_out_accuracy"] = round(acc, 4)
    meta["held_out_top2_accuracy"] = round(top2, 4)
    meta["held_out_accuracy_per_label"] = OrderedDict(
        (lab, "%d/%d" % per.get(i, (0, 0))) for i, lab in enumerate(labels))
    # rewrite the description with the figures (weights unchanged)
    desc = __import__("json").load(open(path), object_pairs_hook=OrderedDict)
    desc["metadata"] = meta
    sf.write_description(path, desc)
    with open(os.path.join(args.out, "heldout.tsv"), "w", encoding="utf-8") as f:
        for ln, lab in held:
            f.write("%s\t%s\n" % (lab, ln))
    for lab in labels:
        r, n = per.get(li[lab], (0, 0))
        print("  %-10s %3d/%3d" % (lab, r, n))


if __name__ == "__main__":
    main()

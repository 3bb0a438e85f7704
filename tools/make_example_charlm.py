#!/usr/bin/python3
"""Trains the char-level LSTM language model shipped in examples/charlm.

Text: the licence texts Debian ships in /usr/share/common-licenses (every
regular file, symlinks skipped; characters outside printable ASCII dropped);
the last 5% of the text is held out to measure the loss.
Model: nn.Embedding(V, 48) -> nn.LSTM(48, 256, num_layers=2) -> nn.Linear(256, V)
-> nn.Softmax, exported with seqrt.export (tools/seqrt_export.py; it checks
seqrt's output, run through the library in process, against PyTorch's before
it reports success), weights stored as F16.
Deterministic: fixed seeds, one thread.

    /usr/bin/python3 tools/make_example_charlm.py [--steps 300] [--batch 16] [--out examples/charlm]
                                                  [--device reference]

Writes charlm.json, charlm.safetensors and prompt.npy (the token ids of the
default prompt, int32 [T, 1]).
"""
import argparse
import glob
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import seqrt.export as sx  # noqa: E402

LICENSES = "/usr/share/common-licenses"
PROMPT = "This program is free software"


def licence_text():
    files = sorted(f for f in glob.glob(os.path.join(LICENSES, "*"))
                   if os.path.isfile(f) and not os.path.islink(f))
    text = "".join(open(f, encoding="utf-8", errors="ignore").read() for f in files)
    return "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127), files


class CharLM(nn.Module):
    def __init__(self, V, E=48, H=256, L=2):
        super().__init__()
        self.embed = nn.Embedding(V, E)
        self.rnn = nn.LSTM(E, H, num_layers=L)
        self.fc = nn.Linear(H, V)
        self.probs = nn.Softmax(dim=-1)
        self.logits_only = False   # training reads the logits

    def forward(self, tokens):
        y, (h, c) = self.rnn(self.embed(tokens))
        logits = self.fc(y)
        if self.logits_only:
            return logits
        return self.probs(logits), h, c


def batches(data, T, B, gen):
    starts = torch.randint(0, len(data) - T - 1, (B,), generator=gen)
    x = torch.stack([data[s:s + T] for s in starts], 1)
    y = torch.stack([data[s + 1:s + T + 1] for s in starts], 1)
    return x, y


def held_out_loss(model, data, T=128):
    """Mean cross-entropy (nats/char) over the held-out text, in windows."""
    model.logits_only = True
    total, n = 0.0, 0
    with torch.no_grad():
        cols = (len(data) - 1) // T
        x = data[:cols * T].reshape(cols, T).t()
        y = data[1:cols * T + 1].reshape(cols, T).t()
        logits = model(x)
        total = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                            reduction="sum").item()
        n = y.numel()
    model.logits_only = False
    return total / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                  "examples", "charlm"))
    ap.add_argument("--device", default="reference", help="the seqrt device of the export check")
    args = ap.parse_args()
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    text, files = licence_text()
    vocab = sorted(set(text))
    idx = {c: i for i, c in enumerate(vocab)}
    data = torch.tensor([idx[c] for c in text], dtype=torch.long)
    cut = int(len(data) * 0.95)
    train, held = data[:cut], data[cut:]
    V, T, B = len(vocab), 64, args.batch
    model = CharLM(V)
    opt = torch.optim.Adam(model.parameters(), lr=4e-3)
    gen = torch.Generator().manual_seed(1234)
    t0, c0 = time.time(), time.process_time()
    model.train()
    model.logits_only = True
    loss_avg = None
    for step in range(args.steps):
        lr = 4e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batches(train, T, B, gen)
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss_avg = loss.item() if loss_avg is None else 0.9 * loss_avg + 0.1 * loss.item()
        if step % 10 == 0 or step == args.steps - 1:
            print("step %4d  loss %.3f  (%.0f s)" % (step, loss_avg, time.time() - t0), flush=True)
    train_time, train_cpu = time.time() - t0, time.process_time() - c0
    model.eval()
    held_loss = held_out_loss(model, held)
    print("held-out loss %.3f nats/char (%.2f bits/char); %d chars trained in %.0f s of CPU (%.0f s wall)"
          % (held_loss, held_loss / math.log(2), args.steps * T * B, train_cpu, train_time))

    meta = {
        "vocab": vocab,
        "output": "probs",
        "prompt": PROMPT,
        "description": "char-level LSTM language model: embedding(%d, 48) -> LSTM(256) x 2 -> linear -> softmax"
                       % V,
        "trained_on": "%s (%d files, %d characters; last 5%% held out)" % (LICENSES, len(files), len(text)),
        "training": "tools/make_example_charlm.py --steps %d: Adam, batch %d x 64 characters, one CPU thread: "
                    "%d s of CPU (%d s wall clock)" % (args.steps, B, round(train_cpu), round(train_time)),
        "train_loss": round(loss_avg, 4),
        "held_out_loss": round(held_loss, 4),
    }
    os.makedirs(args.out, exist_ok=True)
    rep = sx.export(model, os.path.join(args.out, "charlm.json"), name="charlm", metadata=meta,
                    weights_dtype="F16", device=args.device)
    print(rep)
    np.save(os.path.join(args.out, "prompt.npy"), np.array([[idx[c]] for c in PROMPT], dtype=np.int32))


if __name__ == "__main__":
    main()

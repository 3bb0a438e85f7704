#!/usr/bin/python3
"""Trains the small char-level LSTM language model shipped in examples/charlm.

Text: the licence texts Debian ships under /usr/share/common-licenses.
Model: embedding(V, 32) -> 2-layer LSTM(128) -> linear(V), PyTorch's modules,
exported with PyTorch's state_dict names. Deterministic (fixed seeds).

    /usr/bin/python3 tools/make_example_charlm.py [--steps 600] [--out examples/charlm]

Writes charlm.json, charlm.safetensors and prompt.npy (the token ids of a
prompt, int32 [T, 1]).
"""
import argparse, glob, json, os, struct

import numpy as np
import torch


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class CharLM(torch.nn.Module):
    def __init__(self, V, E, H, L):
        super().__init__()
        self.embed = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.LSTM(E, H, num_layers=L)
        self.fc = torch.nn.Linear(H, V)

    def forward(self, x, state=None):
        y, state = self.rnn(self.embed(x), state)
        return self.fc(y), state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "examples", "charlm"))
    args = ap.parse_args()
    torch.manual_seed(1234)
    np.random.seed(1234)
    torch.set_num_threads(2)
    files = sorted(f for f in glob.glob("/usr/share/common-licenses/*") if os.path.isfile(f))
    text = "".join(open(f, encoding="utf-8", errors="ignore").read() for f in files)
    text = "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)
    vocab = sorted(set(text))
    idx = {c: i for i, c in enumerate(vocab)}
    data = torch.tensor([idx[c] for c in text], dtype=torch.long)
    V, E, H, L, T, B = len(vocab), 32, 128, 2, 64, 32
    model = CharLM(V, E, H, L)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(args.steps):
        starts = torch.randint(0, len(data) - T - 1, (B,))
        x = torch.stack([data[s:s + T] for s in starts], 1)
        y = torch.stack([data[s + 1:s + T + 1] for s in starts], 1)
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.3f}")
    os.makedirs(args.out, exist_ok=True)
    sd = {f"{n}.{k}": v for n, m in (("embed", model.embed), ("rnn", model.rnn), ("fc", model.fc))
          for k, v in m.state_dict().items()}
    write_safetensors(os.path.join(args.out, "charlm.safetensors"), sd)
    desc = {
        "format": "seqrt", "version": 1, "name": "charlm", "batch_first": False,
        "weights": "charlm.safetensors",
        "inputs": [{"name": "tokens", "dtype": "int32", "shape": ["T", "B"]}],
        "layers": [
            {"op": "embedding", "name": "embed", "inputs": {"x": "tokens"}, "num_embeddings": V, "embedding_dim": E},
            {"op": "lstm", "name": "rnn", "inputs": {"x": "embed"}, "input_size": E, "hidden_size": H, "num_layers": L},
            {"op": "linear", "name": "fc", "inputs": {"x": "rnn"}, "in_features": H, "out_features": V},
            {"op": "softmax", "name": "probs", "inputs": {"x": "fc"}},
        ],
        "outputs": ["probs", "rnn:h_n", "rnn:c_n"],
        "metadata": {"vocab": vocab, "trained_on": "/usr/share/common-licenses", "steps": args.steps,
                     "final_loss": round(loss.item(), 4)},
    }
    with open(os.path.join(args.out, "charlm.json"), "w") as f:
        json.dump(desc, f, indent=1)
    prompt = "This program is free software"
    np.save(os.path.join(args.out, "prompt.npy"), np.array([[idx[c]] for c in prompt], dtype=np.int32))
    print(f"wrote {args.out}: V={V} params={sum(p.numel() for p in model.parameters())}")


if __name__ == "__main__":
    main()

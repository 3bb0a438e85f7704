#!/usr/bin/python3
"""PyTorch's LSTM in f32 and dynamically quantized (int8, quantize_dynamic)
on the shapes of seqrt-bench's --set quant: a peer for the int8 figures.

    /usr/bin/python3 bench/torch_quant_lstm.py [--threads N] [--budget S] [--shapes H:B,...]

Prints, per shape and engine, the median and minimum ms of a forward pass
over x [T=25, B, H] (one layer, input size = H), runs interleaved in
rounds as seqrt-bench's series are. Debian's torch 1.13 has the onednn and
qnnpack quantized engines (no fbgemm). A program that reports figures, not
a test.
"""
import argparse
import statistics
import time

import torch


def timed(fn, x):
    t0 = time.perf_counter()
    with torch.no_grad():
        fn(x)
    return 1e3 * (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget", type=float, default=2.0, help="measured seconds per series")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--T", type=int, default=25)
    ap.add_argument("--shapes", default="1024:1,2048:1", help="H:B pairs")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    engines = [e for e in ("onednn", "qnnpack") if e in torch.backends.quantized.supported_engines]
    print(f"torch {torch.__version__}, {a.threads} threads, T={a.T}; quantized engines: {', '.join(engines)}")
    print(f"{'shape':<20} {'series':<16} {'median ms':>10} {'min ms':>10} {'runs':>5} {'x f32 (median)':>15}")
    for hb in a.shapes.split(","):
        H, B = (int(v) for v in hb.split(":"))
        lstm = torch.nn.LSTM(H, H).eval()
        x = torch.rand(a.T, B, H) * 2 - 1
        series = {"f32": lstm}
        for e in engines:
            torch.backends.quantized.engine = e
            # quantize_dynamic swaps submodules: the LSTM inside a container
            q = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(lstm), {torch.nn.LSTM}, dtype=torch.qint8)
            assert type(q[0]).__name__ == "LSTM" and "quantized" in type(q[0]).__module__, type(q[0])
            series[f"int8 {e}"] = (e, q)
        times = {k: [] for k in series}
        for k, s in series.items():  # first run and warm-up
            if isinstance(s, tuple):
                torch.backends.quantized.engine = s[0]
            for _ in range(2):
                timed(s[1] if isinstance(s, tuple) else s, x)
        for _ in range(a.rounds):
            for k, s in series.items():
                fn = s
                if isinstance(s, tuple):
                    torch.backends.quantized.engine = s[0]
                    fn = s[1]
                t_end = time.perf_counter() + a.budget / a.rounds
                while True:
                    times[k].append(timed(fn, x))
                    if time.perf_counter() >= t_end:
                        break
        f32 = statistics.median(times["f32"])
        for k, t in times.items():
            med = statistics.median(t)
            print(f"{f'T={a.T} B={B} H={H}':<20} {k:<16} {med:>10.3f} {min(t):>10.3f} {len(t):>5} {f32 / med:>15.2f}")


if __name__ == "__main__":
    main()

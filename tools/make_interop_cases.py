#!/usr/bin/python3
"""Writes examples/interop/: models made by seqrt's converters, with the
inputs they were checked on and the outputs PyTorch gave for them, so that
ctest (examples/test_examples.sh) checks the round trips without Python.

  export_*  seqrt.export (tools/seqrt_export.py) on PyTorch models (expected:
            PyTorch in float64 on the same weights)
  onnx_*    PyTorch -> torch.onnx.export -> seqrt.onnx (tools/onnx2seqrt.py)
            (expected: the PyTorch model's outputs)

    /usr/bin/python3 tools/make_interop_cases.py [--out examples/interop] [--device reference]

Each round trip is checked first by running the model through the seqrt
library in process (python/seqrt, on --device).

Each case directory holds model.json, its weights, input.<name>.npy and
expected.<value>.npy (':' written as '.'). Deterministic (fixed seeds).
"""
import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import seqrt.export as sx  # noqa: E402
from seqrt import formats as sf  # noqa: E402
from seqrt.onnx.torchcases import torch_case, torch_cases  # noqa: E402

EXPORT_CASES = ["charlm", "packed_gru", "proj_lstm", "self_attention", "cross_attention", "attention_scores"]
ONNX_CASES = ["torch_charlm_lstm2", "torch_bigru_batch_first"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "examples", "interop"))
    ap.add_argument("--device", default="reference", help="the seqrt device the round trips are checked on")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for d in os.listdir(args.out) if os.path.isdir(args.out) else []:
        if os.path.isfile(os.path.join(args.out, d, "model.json")):
            shutil.rmtree(os.path.join(args.out, d))
    os.makedirs(args.out, exist_ok=True)
    for name, model, kw in sx.selftest_models():
        if name not in EXPORT_CASES:
            continue
        d = os.path.join(args.out, "export_" + name)
        os.makedirs(d, exist_ok=True)
        rep = sx.export(model, os.path.join(d, "model.json"), name="export_" + name, device=args.device, **kw)
        for n, a in rep.inputs.items():
            np.save(os.path.join(d, "input.%s.npy" % n), a)
        for v, a in rep.expected.items():
            np.save(os.path.join(d, "expected." + sf.value_file(v)), a.astype(np.float32))
        print("export_%-22s worst %.3f of the tolerance" % (name, rep.worst_ratio))
    with tempfile.TemporaryDirectory() as tmp:
        for case in torch_cases():
            if case[0] not in ONNX_CASES:
                continue
            d = os.path.join(args.out, "onnx_" + case[0][len("torch_"):])
            status, msg = torch_case(case, tmp, save=d, device=args.device)
            if status != "ok":
                sys.exit("make_interop_cases: %s: %s" % (case[0], msg))
            print("%-29s %s" % (os.path.basename(d), msg))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate seqrt's golden conformance cases (conformance/data/golden/).

Run from the repository root with Debian's Python (the one that has the
python3-torch, python3-numpy and python3-onnx packages; libonnx-testdata
provides the ONNX node test vectors):

    /usr/bin/python3 tools/make_goldens.py [--out conformance/data/golden]

Options: --verify (write nothing: re-read every case in --out from disk and
check it against the float64 evaluation), --set main (the only set: every
case, format 1.1's recurrent attributes included), --out DIR (default
conformance/data/golden, relative to the current directory), --only SUBSTR (write only cases whose name contains SUBSTR; the
other cases and the README are left alone), --onnx-dir DIR (default
/usr/share/libonnx-testdata/data/node).

The script is deterministic (every case has its own fixed seed) and rewrites
the whole directory: it deletes every case directory it finds there (a
directory holding a case.json), then writes each case, README.md and
cases.txt. It prints one line per case. Tests never run it: its output is
committed.

Each case is a directory <case>/ holding
    model.json            seqrt description (format "seqrt", version 1; 1.1
                          for the cases of format 1.1's attributes),
                          "weights": "model.safetensors"
    model.safetensors     F32 weights named as PyTorch's state_dict() names,
                          prefixed with the layer name
    input.<name>.npy      one per model input (<f4; ids and lengths <i4 or <i8)
    expected.<value>.npy  one per model output (':' written as '.'), <f4
    case.json             {"source", "description", "atol", "rtol"
                           [, "tolerance_note"]}

Where the expected values come from ("source"):
    pytorch   torch modules run in float64 on the float32 weights and inputs
              (attention ops: torch code written here from the spec equations)
    onnx      the outputs stored in ONNX's own node test vectors
    float64   this script's NumPy float64 implementation of the spec (used
              where PyTorch has no equivalent: peephole / coupled LSTM, GRU
              with linear_before_reset false)

Before writing anything the script checks its NumPy float64 implementation
against PyTorch (<= 1e-9 in float64) and against ONNX's LSTM vectors; every
case is then evaluated again by that implementation, which reads only the
files being written (description, weights, inputs), and must agree with the
expected values, so a wrong description, weight name or conversion fails at
generation time.
"""

# The generator itself is the package tools/goldens/ (see its __init__.py).
import argparse
import os
import sys

from goldens.build import SET_DIRS, generate
from goldens.onnx_vectors import ONNX_NODE_DIR
from goldens.writers import verify



def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate seqrt golden conformance cases.")
    ap.add_argument("--set", default="main", choices=sorted(SET_DIRS), help="which cases (default %(default)s)")
    ap.add_argument("--out", default=None,
                    help="output directory (default conformance/data/golden)")
    ap.add_argument("--onnx-dir", default=ONNX_NODE_DIR, help="ONNX node tests (default %(default)s)")
    ap.add_argument("--only", default=None, help="write only the cases whose name contains this")
    ap.add_argument("--verify", action="store_true",
                    help="only re-read and check the cases already in --out")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = os.path.join("conformance", "data", SET_DIRS[args.set])
    if args.verify:
        verify(args.out)
        return 0
    return generate(args.out, args.onnx_dir, args.only, args.set)


if __name__ == "__main__":
    sys.exit(main())

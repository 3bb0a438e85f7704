"""Command line of the ONNX importer: python3 -m seqrt.onnx (also
tools/onnx2seqrt.py)."""

import argparse
import sys

import numpy as np

from . import __doc__ as _DOC
from .convert import convert
from .nodetests import NODE_DIR, node_tests
from .values import ConvertError


def main(argv=None):
    ap = argparse.ArgumentParser(prog="onnx2seqrt", description=_DOC,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", help="the ONNX model")
    ap.add_argument("out", nargs="?", help="the description to write (.json; weights beside it)")
    ap.add_argument("--const", action="append", default=[], metavar="NAME=FILE.npy",
                    help="make graph input NAME a constant with this value (e.g. a weight fed as an input)")
    ap.add_argument("--name", help="the seqrt model's name")
    ap.add_argument("--weights-dtype", default="F32", choices=["F32", "F16", "BF16"])
    ap.add_argument("--node-tests", action="store_true",
                    help="convert ONNX's node tests (libonnx-testdata) and PyTorch-exported models, run them "
                         "with seqrt and compare with their expected outputs")
    ap.add_argument("--node-dir", default=NODE_DIR)
    ap.add_argument("--device", default="reference",
                    help="--node-tests: the seqrt device to run on (default reference; e.g. onednn:0, auto)")
    ap.add_argument("--keep", help="--node-tests: keep the converted models in this directory")
    args = ap.parse_args(argv)
    if args.node_tests:
        import seqrt
        try:
            seqrt.version()
        except seqrt.Error as e:
            print("onnx2seqrt: the seqrt library cannot be loaded: %s (build it with tools/build.sh)" % e,
                  file=sys.stderr)
            return 2
        res = node_tests(args.device, args.node_dir, args.keep)
        for name, status, msg in res:
            print("%-8s %-44s %s" % (status, name, msg))
        counts = {}
        for _, s, _ in res:
            counts[s] = counts.get(s, 0) + 1
        print("; ".join("%d %s" % (v, k) for k, v in sorted(counts.items())))
        return 1 if counts.get("FAIL") else 0
    if not args.model or not args.out:
        ap.error("give MODEL.onnx and OUT.json (or --node-tests)")
    consts = {}
    for c in args.const:
        k, _, f = c.partition("=")
        if not f:
            ap.error("--const %s: expected NAME=FILE.npy" % c)
        consts[k] = np.load(f)
    try:
        rep = convert(args.model, args.out, constants=consts, name=args.name, weights_dtype=args.weights_dtype)
    except ConvertError as e:
        print("onnx2seqrt: error: %s" % e, file=sys.stderr)
        return 1
    print(rep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line of the exporter: python3 -m seqrt.export --selftest
(also tools/seqrt_export.py)."""

import argparse
import sys

import torch

from . import __doc__ as _DOC
from .selftest import run_selftest


def main(argv=None):
    ap = argparse.ArgumentParser(prog="seqrt_export", description=_DOC,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--selftest", action="store_true", help="export and check the test models")
    ap.add_argument("--device", default="reference",
                    help="the seqrt device the round trips run on (default reference; e.g. onednn:0, auto)")
    ap.add_argument("--keep", help="write the test models to this directory")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.selftest:
        return 1 if run_selftest(args.device, args.keep) else 0
    ap.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

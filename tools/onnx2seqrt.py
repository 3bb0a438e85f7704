#!/usr/bin/python3
"""ONNX -> seqrt importer: the seqrt.onnx package (python/seqrt/onnx/).
`tools/onnx2seqrt.py ARGS` = `python3 -m seqrt.onnx ARGS`;
`import onnx2seqrt` (tools/ on sys.path) is `import seqrt.onnx`."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from seqrt.onnx import *  # noqa: E402,F401,F403
from seqrt.onnx import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""PyTorch -> seqrt exporter: the seqrt.export package (python/seqrt/export/).
`tools/seqrt_export.py --selftest` = `python3 -m seqrt.export --selftest`;
`import seqrt_export` (tools/ on sys.path) is `import seqrt.export`."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from seqrt.export import *  # noqa: E402,F401,F403
from seqrt.export import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

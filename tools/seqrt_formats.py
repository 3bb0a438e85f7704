"""seqrt's file formats: this is python/seqrt/formats.py (seqrt.formats),
re-exported for scripts that `import seqrt_formats` from tools/."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from seqrt.formats import *  # noqa: E402,F401,F403
from seqrt.formats import __all__  # noqa: E402,F401

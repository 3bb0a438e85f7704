"""seqrt: run LSTM / attention model descriptions on the reference, oneDNN
and OpenCL backends, from Python.

Pure Python over libseqrt through ctypes. The library is found and loaded
at the first call that needs it (see seqrt._lib for the lookup order), so
importing the package always works. docs/python.md is the user guide.

    import numpy as np, seqrt
    model = seqrt.Model("examples/charlm/charlm.json")
    with seqrt.Session(model, "reference") as s:
        probs = s.run({"tokens": np.array([[5], [6]], np.int32)})["probs"]
"""
from ._lib import library_path, version
from .devices import BackendInfo, Device, backends, devices
from .errors import (DeviceError, Error, FileError, InternalError, InvalidArgumentError, LibraryError,
                     LimitError, ModelError, OutOfMemoryError, ParseError, RangeError, ShapeError,
                     UnavailableError, UnsupportedError)
from .model import LayerInfo, Model, TensorSpec
from .session import Session

from ._version import __version__

__all__ = [
    "__version__", "version", "library_path", "devices", "backends", "Device", "BackendInfo",
    "Model", "TensorSpec", "LayerInfo", "Session",
    "Error", "InvalidArgumentError", "FileError", "ParseError", "ModelError", "ShapeError",
    "RangeError", "UnsupportedError", "UnavailableError", "OutOfMemoryError", "LimitError",
    "DeviceError", "InternalError", "LibraryError",
]

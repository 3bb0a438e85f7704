"""seqrt: run LSTM / attention model descriptions on the reference, oneDNN
and OpenCL backends, from Python.

Pure Python over libseqrt through ctypes. The library is found and loaded
at the first call that needs it (see seqrt._lib for the lookup order), so
importing the package always works. docs/python.md is the user guide.

    import numpy as np, seqrt
    model = seqrt.Model("examples/charlm/charlm.json")
    with seqrt.Session(model, "reference") as s:
        probs = s.run({"tokens": np.array([[5], [6]], np.int32)})["probs"]

seqrt.export(module, path, example_inputs) exports a PyTorch module as its
author wrote it (seqrt.export is also the package of that name), and
seqrt.check(description, module, example_inputs) compares a hand-written
description with a PyTorch module; torch is imported only when they are
used.
"""
from ._lib import library_path, version
from .devices import BackendInfo, Device, backends, devices
from .errors import (DeviceError, Error, FileError, InternalError, InvalidArgumentError, LibraryError,
                     LimitError, ModelError, OutOfMemoryError, ParseError, RangeError, ShapeError,
                     UnavailableError, UnsupportedError)
from .model import LayerInfo, Model, TensorSpec
from .session import Session
from .stream_pool import StreamPool

from ._version import __version__


def check(description, module, example_inputs=None, **options):
    """Does the hand-written description at `description` (a .json path)
    compute what the PyTorch `module` computes? Runs both on random inputs
    of example_inputs' shapes (forward()'s arguments) and at another length
    and batch size; returns a report with the worst error per output and the
    first layer that disagrees (found by running prefixes of the
    description). options: device, seed, T, B, atol, rtol. Imports torch
    only when called (seqrt.export.verify.check)."""
    from .export.verify import check as _check
    return _check(description, module, example_inputs, **options)


def __getattr__(name):
    """seqrt.export (the callable package seqrt.export) on first use, so
    that `import seqrt` never imports torch."""
    if name == "export":
        import importlib
        return importlib.import_module(".export", __name__)
    raise AttributeError("module 'seqrt' has no attribute %r" % name)


__all__ = [
    "__version__", "version", "library_path", "devices", "backends", "Device", "BackendInfo",
    "Model", "TensorSpec", "LayerInfo", "Session", "StreamPool", "check",
    "Error", "InvalidArgumentError", "FileError", "ParseError", "ModelError", "ShapeError",
    "RangeError", "UnsupportedError", "UnavailableError", "OutOfMemoryError", "LimitError",
    "DeviceError", "InternalError", "LibraryError",
]

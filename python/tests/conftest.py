"""Shared helpers for the seqrt Python tests.

Run from the repository root:  PYTHONPATH=python /usr/bin/python3 -m pytest python/tests
(the package directory is also put on sys.path here). $SEQRT_LIBRARY picks the
library; without it the package finds the build tree's. $SEQRT_TEST_BACKENDS
(comma-separated backend names) narrows the devices the golden tests use.
"""
import json
import os
import struct
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
GOLDEN = os.path.join(REPO, "conformance", "data", "golden")
CHARLM = os.path.join(REPO, "examples", "charlm", "charlm.json")

if os.path.join(REPO, "python") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "python"))

import seqrt  # noqa: E402


def golden_cases():
    return sorted(d for d in os.listdir(GOLDEN) if os.path.isfile(os.path.join(GOLDEN, d, "case.json")))


def golden_dir(case):
    return os.path.join(GOLDEN, case)


def golden_inputs(case, model):
    return {s.name: np.load(os.path.join(GOLDEN, case, "input.%s.npy" % s.name)) for s in model.inputs}


def golden_expected(case, model):
    return {s.name: np.load(os.path.join(GOLDEN, case, "expected.%s.npy" % s.name.replace(":", ".")))
            for s in model.outputs}


def golden_tolerance(case):
    with open(os.path.join(GOLDEN, case, "case.json")) as f:
        c = json.load(f)
    return c.get("atol", 1e-4), c.get("rtol", 1e-3)


def assert_close(got, expected, atol, rtol, what=""):
    """The spec's rule: |x - e| <= atol + rtol * |e| for every element."""
    assert got.shape == expected.shape, "%s: shape %s, expected %s" % (what, got.shape, expected.shape)
    bad = ~(np.abs(got.astype(np.float64) - expected) <= atol + rtol * np.abs(expected.astype(np.float64)))
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        pytest.fail("%s: %d element(s) out of tolerance, first at %s: %r vs expected %r (atol %g, rtol %g)"
                    % (what, int(bad.sum()), i, float(got[i]), float(expected[i]), atol, rtol))


def backend_device(backend):
    """The id of backend's first device; skips the test when the backend is
    not built or has no device here (never when it refuses a model)."""
    for b in seqrt.backends():
        if b.name == backend:
            if not b.available or not b.devices:
                pytest.skip("backend %s is not available here: %s" % (backend, b.reason))
            return b.devices[0].id
    pytest.skip("backend %s is not built" % backend)


def available_devices():
    """Available device ids, narrowed by $SEQRT_TEST_BACKENDS."""
    only = [b.strip() for b in os.environ.get("SEQRT_TEST_BACKENDS", "").split(",") if b.strip()]
    return [d.id for d in seqrt.devices() if d.available and (not only or d.backend in only)]


def write_safetensors(path, tensors):
    """A safetensors file: 8-byte LE header length, JSON header
    {name: {dtype: "F32", shape, data_offsets: [b, e]}} padded to 8, data."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(arr)), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make_lstm(tmp_path, input_size=8, hidden_size=16, name="lstm", seed=0):
    """A one-layer LSTM description + random weights under tmp_path; returns
    the description's path. Input x [T, B, input_size]."""
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(hidden_size)
    g = 4 * hidden_size
    weights = {
        "rnn.weight_ih_l0": rng.uniform(-k, k, (g, input_size)),
        "rnn.weight_hh_l0": rng.uniform(-k, k, (g, hidden_size)),
        "rnn.bias_ih_l0": rng.uniform(-k, k, (g,)),
        "rnn.bias_hh_l0": rng.uniform(-k, k, (g,)),
    }
    write_safetensors(os.path.join(str(tmp_path), name + ".safetensors"), weights)
    desc = {
        "format": "seqrt", "version": 1, "name": name, "batch_first": False,
        "weights": name + ".safetensors",
        "inputs": [{"name": "x", "dtype": "float32", "shape": ["T", "B", input_size]}],
        "layers": [{"op": "lstm", "name": "rnn", "inputs": {"x": "x"},
                    "input_size": input_size, "hidden_size": hidden_size}],
        "outputs": ["rnn", "rnn:h_n", "rnn:c_n"],
        "metadata": {"made_by": "python/tests/conftest.py"},
    }
    path = os.path.join(str(tmp_path), name + ".json")
    with open(path, "w") as f:
        json.dump(desc, f)
    return path


@pytest.fixture
def lstm_path(tmp_path):
    return make_lstm(tmp_path)

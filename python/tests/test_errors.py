"""Every failure raises the seqrt.Error subclass of its status, with a
message that names the file, input, output, device or object at fault."""
import ctypes.util
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import seqrt
from conftest import REPO, golden_dir, golden_inputs

LSTM = golden_dir("lstm_vanilla") + "/model.json"
LSTM_H0 = golden_dir("lstm_2layer_h0") + "/model.json"
CHARLM = golden_dir("charlm_embedding_lstm_linear") + "/model.json"  # vocabulary 12


@pytest.fixture(scope="module")
def lstm():
    model = seqrt.Model(LSTM)
    with seqrt.Session(model, "reference") as s:
        yield s


@pytest.fixture(scope="module")
def charlm():
    with seqrt.Session(seqrt.Model(CHARLM), "reference") as s:
        yield s


def x(*shape):
    return np.ones(shape, np.float32)


def test_error_attributes():
    with pytest.raises(seqrt.FileError) as e:
        seqrt.Model("/nonexistent/dir/model.json")
    err = e.value
    assert isinstance(err, seqrt.Error) and isinstance(err, Exception)
    assert err.status == 2 and err.status_name == "I/O error"
    assert "/nonexistent/dir/model.json" in str(err) and err.message == str(err)


def test_malformed_json(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"format": "seqrt", "version": 1, "inputs": [')
    with pytest.raises(seqrt.ParseError) as e:
        seqrt.Model(p)
    assert "broken.json" in str(e.value)


def test_invalid_model(tmp_path):
    p = tmp_path / "m.json"
    p.write_text('{"format": "seqrt", "version": 1, "inputs": [{"name": "x", "dtype": "float32", '
                 '"shape": ["T", "B", 4]}], "layers": [{"op": "nosuchop", "name": "L", "inputs": {"x": "x"}}],'
                 ' "outputs": ["L"]}')
    with pytest.raises(seqrt.ModelError) as e:
        seqrt.Model(p)
    assert "nosuchop" in str(e.value)


def test_missing_input():
    with seqrt.Session(seqrt.Model(LSTM_H0), "reference") as s:
        inputs = golden_inputs("lstm_2layer_h0", s.model)
        del inputs["c0"]
        with pytest.raises(seqrt.InvalidArgumentError) as e:
            s.run(inputs)
    assert "'c0'" in str(e.value) and "missing" in str(e.value)


def test_extra_input(lstm):
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        lstm.run({"x": x(2, 3, 4), "bogus": x(1)})
    assert "'bogus'" in str(e.value) and "x float32 [T, B, 4]" in str(e.value)


def test_wrong_input_count(lstm):
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        lstm.run([x(2, 3, 4), x(1)])
    assert "2 input(s) given" in str(e.value)


def test_wrong_rank(lstm):
    with pytest.raises(seqrt.ShapeError) as e:
        lstm.run({"x": x(6, 4)})
    assert "'x'" in str(e.value) and "rank" in str(e.value)


def test_rank_beyond_limit(lstm):
    with pytest.raises(seqrt.ShapeError) as e:
        lstm.run({"x": x(1, 1, 1, 1, 1, 1, 1)})
    assert "'x'" in str(e.value)


def test_wrong_dim(lstm):
    with pytest.raises(seqrt.ShapeError) as e:
        lstm.run({"x": x(6, 3, 5)})
    assert "'x'" in str(e.value) and "[6, 3, 5]" in str(e.value)


@pytest.mark.parametrize("dtype", [np.int32, np.bool_, np.complex64])
def test_float_input_refuses_non_floats(lstm, dtype):
    with pytest.raises(seqrt.ShapeError) as e:
        lstm.run({"x": np.ones((2, 3, 4), dtype)})
    assert "'x'" in str(e.value) and np.dtype(dtype).name in str(e.value)


def test_float64_ids_refused(charlm):
    with pytest.raises(seqrt.ShapeError) as e:
        charlm.run({"tokens": np.ones((3, 2))})
    assert "'tokens'" in str(e.value) and "float64" in str(e.value)


def test_bool_and_object_ids_refused(charlm):
    for v in (np.ones((3, 2), bool), np.array([[1, None]], dtype=object)):
        with pytest.raises(seqrt.ShapeError) as e:
            charlm.run({"tokens": v})
        assert "'tokens'" in str(e.value)


def test_ids_out_of_vocabulary(charlm):
    with pytest.raises(seqrt.RangeError) as e:
        charlm.run({"tokens": np.full((3, 2), 12, np.int32)})
    assert "'tokens'" in str(e.value) and "12" in str(e.value)


def test_integer_conversion_out_of_range(charlm):
    with pytest.raises(seqrt.RangeError) as e:
        charlm.run({"tokens": np.full((3, 2), 2**33, np.uint64)})
    assert "'tokens'" in str(e.value) and str(2**33) in str(e.value)


def test_unknown_device():
    with pytest.raises(seqrt.UnavailableError) as e:
        seqrt.Session(seqrt.Model(LSTM), "nosuch")
    assert "nosuch" in str(e.value) and "reference" in str(e.value)


def test_bad_device_type():
    with pytest.raises(seqrt.InvalidArgumentError):
        seqrt.Session(seqrt.Model(LSTM), 3)


def test_wrong_shape_output_buffer(lstm):
    with pytest.raises(seqrt.ShapeError) as e:
        lstm.run({"x": x(2, 3, 4)}, outputs={"rnn": x(3, 3, 5)})
    assert "'rnn'" in str(e.value) and "[3, 3, 5]" in str(e.value) and "[2, 3, 5]" in str(e.value)
    lstm.run({"x": x(2, 3, 4)})  # the failed run left nothing bound


def test_output_buffer_not_writable(lstm):
    buf = np.zeros((2, 3, 5), np.float32)
    buf.flags.writeable = False
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        lstm.run({"x": x(2, 3, 4)}, outputs={"rnn": buf})
    assert "'rnn'" in str(e.value) and "not writable" in str(e.value)


def test_output_buffer_not_contiguous(lstm):
    buf = np.zeros((2, 3, 10), np.float32)[:, :, ::2]
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        lstm.run({"x": x(2, 3, 4)}, outputs={"rnn:h_n": np.zeros((1, 3, 5), np.float32), "rnn": buf})
    assert "'rnn'" in str(e.value) and "not C-contiguous" in str(e.value)


def test_output_buffer_wrong_dtype_or_name(lstm):
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        lstm.run({"x": x(2, 3, 4)}, outputs={"rnn": np.zeros((2, 3, 5))})
    assert "'rnn'" in str(e.value) and "float64" in str(e.value)
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        lstm.run({"x": x(2, 3, 4)}, outputs={"nosuch": np.zeros((2, 3, 5), np.float32)})
    assert "'nosuch'" in str(e.value) and "rnn:h_n" in str(e.value)


def test_closed_session():
    s = seqrt.Session(seqrt.Model(LSTM), "reference")
    s.close()
    s.close()  # twice is fine
    assert s.closed
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        s.run({"x": x(2, 3, 4)})
    assert "closed" in str(e.value)
    with pytest.raises(seqrt.InvalidArgumentError):
        s.reset()


def test_closed_model():
    m = seqrt.Model(LSTM)
    s = seqrt.Session(m, "reference")
    m.close()  # deferred: s still needs it
    assert s.run({"x": x(2, 3, 4)})["rnn"].shape == (2, 3, 5)
    assert m.inputs[0].name == "x"  # introspection stays valid
    with pytest.raises(seqrt.InvalidArgumentError) as e:
        seqrt.Session(m, "reference")
    assert "closed" in str(e.value)
    s.close()


def _in_subprocess(library):
    code = ("import seqrt\n"
            "try:\n"
            "    seqrt.version()\n"
            "except seqrt.LibraryError as e:\n"
            "    print('LibraryError', e.status, e)\n")
    env = dict(os.environ, SEQRT_LIBRARY=library, PYTHONPATH=os.path.join(REPO, "python"))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_library_missing_file(tmp_path):
    path = str(tmp_path / "nosuch" / "libseqrt.so.0")
    out = _in_subprocess(path)
    assert out.startswith("LibraryError None") and path in out and "no such file" in out


def test_library_not_a_library(tmp_path):
    path = tmp_path / "libseqrt.so.0"
    path.write_text("not an ELF file\n")
    out = _in_subprocess(str(path))
    assert out.startswith("LibraryError None") and str(path) in out


def test_library_not_libseqrt():
    libm = ctypes.util.find_library("m")
    if not libm:
        pytest.skip("no libm to point at")
    out = _in_subprocess(libm)
    assert out.startswith("LibraryError None") and "not libseqrt" in out


def test_library_wrong_version(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build a fake library")
    src = tmp_path / "fake.c"
    src.write_text('const char *seqrt_version(void) { return "9.1.0"; }\n')
    lib = tmp_path / "libseqrt.so.0"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True, timeout=60)
    out = _in_subprocess(str(lib))
    assert out.startswith("LibraryError None") and "9.1.0" in out and str(lib) in out and "0.3" in out


def test_library_import_never_fails(tmp_path):
    env = dict(os.environ, SEQRT_LIBRARY=str(tmp_path / "none.so"), PYTHONPATH=os.path.join(REPO, "python"))
    r = subprocess.run([sys.executable, "-c", "import seqrt; print(seqrt.__version__)"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "0.3.0"

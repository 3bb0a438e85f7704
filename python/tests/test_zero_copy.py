"""Outputs written in place, no aliasing between runs, inputs used without
a copy when they can be, converted once when they cannot."""
import numpy as np
import pytest

import seqrt
from seqrt import _tensors
from conftest import assert_close, golden_dir, golden_expected, golden_inputs, golden_tolerance

CASE = "lstm_vanilla"


@pytest.fixture
def golden():
    model = seqrt.Model(golden_dir(CASE) + "/model.json")
    return model, golden_inputs(CASE, model), golden_expected(CASE, model), golden_tolerance(CASE)


@pytest.mark.parametrize("device", ["reference", "onednn"])
def test_bound_output_written_in_place(golden, device):
    model, inputs, expected, (atol, rtol) = golden
    if device not in {d.backend for d in seqrt.devices() if d.available}:
        pytest.skip("%s unavailable" % device)
    buf = np.full(expected["rnn"].shape, np.nan, np.float32)
    hn = np.full(expected["rnn:h_n"].shape, np.nan, np.float32)
    with seqrt.Session(model, device) as s:
        got = s.run(inputs, outputs={"rnn": buf, "rnn:h_n": hn})
        assert got["rnn"] is buf and got["rnn:h_n"] is hn
        assert np.shares_memory(got["rnn"], buf)
        assert_close(buf, expected["rnn"], atol, rtol, "bound rnn")
        assert_close(hn, expected["rnn:h_n"], atol, rtol, "bound rnn:h_n")
        assert_close(got["rnn:c_n"], expected["rnn:c_n"], atol, rtol, "allocated rnn:c_n")
        # a later run without outputs= leaves the caller's buffer alone (unbound)
        before = buf.copy()
        s.run({"x": inputs["x"] * 2})
        assert np.array_equal(buf, before)


def test_view_of_a_bigger_array_as_output(golden):
    model, inputs, expected, (atol, rtol) = golden
    big = np.zeros((2,) + expected["rnn"].shape, np.float32)
    with seqrt.Session(model, "reference") as s:
        got = s.run(inputs, outputs={"rnn": big[1]})
    assert np.shares_memory(got["rnn"], big)
    assert_close(big[1], expected["rnn"], atol, rtol, "rnn in big[1]")
    assert not big[0].any()


@pytest.mark.parametrize("case, make", [
    ("lstm_vanilla", lambda i: {"x": i["x"]}),
    ("concat_axis0", lambda i: i),  # output dim '?': the copy path
])
def test_results_do_not_alias_across_runs(case, make):
    model = seqrt.Model(golden_dir(case) + "/model.json")
    inputs = make(golden_inputs(case, model))
    with seqrt.Session(model, "reference") as s:
        r1 = s.run(inputs)
        kept = {k: v.copy() for k, v in r1.items()}
        r2 = s.run({k: v * 3 + 1 for k, v in inputs.items()})
    for k in r1:
        assert np.array_equal(r1[k], kept[k]), "run 2 changed run 1's '%s'" % k
        assert not np.shares_memory(r1[k], r2[k])
        assert r1[k].flags.writeable and r1[k].flags.owndata


def test_contiguous_float32_input_is_used_as_is(golden):
    model = golden[0]
    x = np.ones((3, 2, 4), np.float32)
    assert _tensors.convert_input(model.inputs[0], x) is x
    ids = seqrt.Model(golden_dir("charlm_int64_ids") + "/model.json").inputs[0]
    for dt in (np.int32, np.int64):
        t = np.zeros((3, 2), dt)
        assert _tensors.convert_input(ids, t) is t


def test_converted_inputs_give_the_same_result(golden):
    model, inputs, _, _ = golden
    x = inputs["x"]
    with seqrt.Session(model, "reference") as s:
        want = s.run({"x": x})
        fortran = np.asfortranarray(x)
        strided = np.repeat(x, 2, axis=2)[:, :, ::2]
        assert not fortran.flags.c_contiguous and not strided.flags.c_contiguous
        variants = {"float64": x.astype(np.float64), "fortran": fortran, "strided": strided,
                    "big-endian": x.astype(">f4"), "list": x.tolist()}
        for what, v in variants.items():
            got = s.run({"x": v})
            for k in want:
                assert np.array_equal(got[k], want[k]), "%s input: '%s' differs" % (what, k)
        half = x.astype(np.float16)  # float16 is converted to float32 exactly
        assert np.array_equal(s.run([half])["rnn"], s.run([half.astype(np.float32)])["rnn"])


def test_integer_inputs_converted_when_they_fit():
    case = "charlm_embedding_lstm_linear"
    model = seqrt.Model(golden_dir(case) + "/model.json")
    tokens = golden_inputs(case, model)["tokens"]
    with seqrt.Session(model, "reference") as s:
        want = s.run({"tokens": tokens})["fc"]
        for dt in (np.int64, np.uint8, np.int16, np.uint32, ">i4"):
            assert np.array_equal(s.run({"tokens": tokens.astype(dt)})["fc"], want), dt
        assert np.array_equal(s.run({"tokens": np.asfortranarray(tokens)})["fc"], want)

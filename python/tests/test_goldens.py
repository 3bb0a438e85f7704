"""Every golden case (values computed independently by PyTorch, ONNX's node
tests or NumPy float64: conformance/data/golden/README.md) through
seqrt.Session on every available device, compared with case.json's
tolerance. $SEQRT_TEST_BACKENDS narrows the devices."""
import numpy as np
import pytest

import seqrt
from conftest import (assert_close, golden_cases, golden_dir, golden_expected, golden_inputs,
                      golden_tolerance, available_devices)

CASES = golden_cases()
DEVICES = available_devices()


def test_there_are_cases_and_devices():
    assert len(CASES) > 100
    assert DEVICES, "no available device (SEQRT_TEST_BACKENDS=%r?)" % DEVICES


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES)
def test_golden(case, device):
    with seqrt.Model(golden_dir(case) + "/model.json") as model:
        inputs = golden_inputs(case, model)
        expected = golden_expected(case, model)
        atol, rtol = golden_tolerance(case)
        with seqrt.Session(model, device) as session:
            assert session.device.id == device
            got = session.run(inputs)
    assert list(got) == [s.name for s in model.outputs]
    for name, e in expected.items():
        assert got[name].dtype == np.float32
        assert_close(got[name], e, atol, rtol, "%s on %s: output '%s'" % (case, device, name))

"""Runs the self-tests, builds every case (the case lists of each family,
then ONNX's node vectors) and writes the output directory.

Two sets: "main" (conformance/data/golden, read by test_goldens and the
Python tests on every device) and "1.1" (conformance/data/golden-1.1: the
cases of format 1.1's recurrent attributes, kept apart while the oneDNN and
OpenCL backends refuse those attributes; the conformance suite runs them
with --golden-dir, a refusal reported as SKIPPED)."""

import os
import shutil

from .cases_attention import attention_cases
from .cases_ops import model_cases, op_cases
from .cases_recurrent import float64_cases, recurrent_cases
from .cases_recurrent_v11 import v11_cases
from .onnx_vectors import ONNX_NODE_DIR, Skip, onnx_cases, selftest_vs_onnx, selftest_vs_onnx_helpers
from .selftest import onnx_rnn_vs_helpers, onnx_rnn_vs_vectors, seqrt_vs_onnx_rnn
from .spec import SpecError
from .torch_eval import selftest_vs_torch
from .writers import clean, emit, write_cases_txt, write_readme

ALL_BUILDERS = [recurrent_cases, float64_cases, op_cases, model_cases, attention_cases]
SETS = {"main": ALL_BUILDERS, "1.1": [v11_cases]}
SET_DIRS = {"main": "golden", "1.1": "golden-1.1"}   # under conformance/data/
SET_NOTES = {"1.1": "This directory holds the cases of format 1.1's recurrent attributes (`\"version\": 1.1`; "
                    "`tools/make_goldens.py --set 1.1`). They stay apart from `conformance/data/golden` "
                    "while the oneDNN and OpenCL backends refuse these attributes (test_goldens runs every "
                    "golden on every device); `seqrt-conformance --golden-dir conformance/data/golden-1.1` "
                    "runs them on every device and reports a refusal as SKIPPED (ctest "
                    "`conformance_golden_1_1`). Their descriptions say `\"version\": 1.1` (not 1 as below). Their expected "
                    "values are the float64 implementation's (source `float64`), whose format 1.1 recurrences "
                    "are checked against a separate float64 oracle written in ONNX's own layouts and gate "
                    "orders (`tools/goldens/onnx_rnn.py`, itself checked against ONNX's reference helpers and "
                    "every ONNX LSTM/GRU/RNN node vector) on random nodes using every attribute "
                    "(`tools/goldens/selftest.py`, ctest `goldens_selftest`)."}


def build_all(onnx_dir=ONNX_NODE_DIR, case_set="main"):
    """Runs the self-tests and returns (cases, skipped) of set `case_set`."""
    e1 = selftest_vs_torch()
    print("self-test: float64 recurrences vs PyTorch float64: max |diff| %.1e" % e1)
    e2 = selftest_vs_onnx_helpers()
    print("self-test: float64 LSTM/GRU vs ONNX reference helpers (random weights): max |diff| %.1e" % e2)
    print("self-test: ONNX-native oracle vs ONNX reference helpers: max |diff| %.1e" % onnx_rnn_vs_helpers())
    skipped = []
    try:
        e3 = selftest_vs_onnx(onnx_dir)
        print("self-test: float64 LSTM vs ONNX node vectors: max |diff| %.1e" % e3)
        print("self-test: ONNX-native oracle vs ONNX node vectors: max |diff| %.1e" % onnx_rnn_vs_vectors(onnx_dir))
    except Skip as e:
        print("self-test vs ONNX node vectors skipped: %s" % e)
    print("self-test: float64 format 1.1 recurrences vs ONNX-native oracle: max |diff| %.1e" % seqrt_vs_onnx_rnn())
    cases = []
    for b in SETS[case_set]:
        cases.extend(b())
    if case_set == "main":
        cases.extend(onnx_cases(onnx_dir, skipped))
    names = [c.name for c in cases]
    dup = sorted(set(n for n in names if names.count(n) > 1))
    if dup:
        raise SpecError("duplicate case names: %s" % dup)
    return cases, skipped


def generate(out, onnx_dir=ONNX_NODE_DIR, only=None, case_set="main"):
    """Builds every case of `case_set` and writes those whose name contains
    `only` (all, with README.md and cases.txt, when None) into `out`."""
    cases, skipped = build_all(onnx_dir, case_set)
    os.makedirs(out, exist_ok=True)
    if only:
        cases = [c for c in cases if only in c.name]
        for c in cases:
            p = os.path.join(out, c.name)
            if os.path.isdir(p):
                shutil.rmtree(p)
    else:
        clean(out)
    total = 0
    for c in cases:
        worst = emit(c, out)
        cdir = os.path.join(out, c.name)
        size = sum(os.path.getsize(os.path.join(cdir, f)) for f in os.listdir(cdir))
        total += size
        print("%-48s %-8s %6d bytes  max|expected - float64 eval| %.1e" % (c.name, c.source, size, worst))
    for name, why in skipped:
        print("%-48s SKIPPED: %s" % (name, why))
    if not only:
        write_readme(out, cases, skipped, SET_NOTES.get(case_set))
        write_cases_txt(out, cases)
    print("%d cases, %d bytes, in %s" % (len(cases), total, out))
    return 0

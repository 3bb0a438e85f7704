"""Runs the self-tests, builds every case (the case lists of each family,
then ONNX's node vectors) and writes the output directory.

One set, "main" (conformance/data/golden, read by test_goldens, the Python
tests and the conformance suite on every device), format 1.1's recurrent
cases included: every backend computes them, so none may be skipped."""

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

ALL_BUILDERS = [recurrent_cases, float64_cases, op_cases, model_cases, attention_cases, v11_cases]
SETS = {"main": ALL_BUILDERS}
SET_DIRS = {"main": "golden"}   # under conformance/data/
SET_NOTES = {}


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

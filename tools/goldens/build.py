"""Runs the self-tests, builds every case (the case lists of each family,
then ONNX's node vectors) and writes the output directory."""

import os
import shutil

from .cases_attention import attention_cases
from .cases_ops import model_cases, op_cases
from .cases_recurrent import float64_cases, recurrent_cases
from .onnx_vectors import ONNX_NODE_DIR, Skip, onnx_cases, selftest_vs_onnx, selftest_vs_onnx_helpers
from .spec import SpecError
from .torch_eval import selftest_vs_torch
from .writers import clean, emit, write_cases_txt, write_readme

ALL_BUILDERS = [recurrent_cases, float64_cases, op_cases, model_cases, attention_cases]


def build_all(onnx_dir=ONNX_NODE_DIR):
    """Runs the self-tests and returns (cases, skipped)."""
    e1 = selftest_vs_torch()
    print("self-test: float64 recurrences vs PyTorch float64: max |diff| %.1e" % e1)
    e2 = selftest_vs_onnx_helpers()
    print("self-test: float64 LSTM/GRU vs ONNX reference helpers (random weights): max |diff| %.1e" % e2)
    skipped = []
    try:
        e3 = selftest_vs_onnx(onnx_dir)
        print("self-test: float64 LSTM vs ONNX node vectors: max |diff| %.1e" % e3)
    except Skip as e:
        print("self-test vs ONNX node vectors skipped: %s" % e)
    cases = []
    for b in ALL_BUILDERS:
        cases.extend(b())
    cases.extend(onnx_cases(onnx_dir, skipped))
    names = [c.name for c in cases]
    dup = sorted(set(n for n in names if names.count(n) > 1))
    if dup:
        raise SpecError("duplicate case names: %s" % dup)
    return cases, skipped


def generate(out, onnx_dir=ONNX_NODE_DIR, only=None):
    """Builds every case and writes those whose name contains `only` (all,
    with README.md and cases.txt, when None) into `out`."""
    cases, skipped = build_all(onnx_dir)
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
        write_readme(out, cases, skipped)
        write_cases_txt(out, cases)
    print("%d cases, %d bytes, in %s" % (len(cases), total, out))
    return 0

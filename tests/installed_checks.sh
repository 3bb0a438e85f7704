# Checks of an installed seqrt tree, shared by tests/install_test.sh (a
# `cmake --install` prefix) and tests/deb_test.sh (the .debs unpacked).
# Sourced; needs REPO, ALLCLOSE, WORK (a scratch directory), BACKENDS (comma
# list of the backends that were built). Defines ok / fail (the closing line
# "N passed, N failed"), run_clean and check_tree.
#
#   check_tree BINDIR MODULEDIR PYTHONDIR GOLDENDIR
#
# - `seqrt backends` with no environment lists every built backend as
#   available, each module from MODULEDIR;
# - one golden case run with the installed `seqrt run` on every backend,
#   within the case's tolerance of its expected values (PyTorch's);
# - the installed seqrt-conformance uses the installed goldens (GOLDENDIR),
#   not the source tree's, and passes them on the reference;
# - `import seqrt` from PYTHONDIR loads the installed library, lists the
#   backends as available and runs the golden case within tolerance.

GOLDEN_CASE=lstm_2layer_h0
PASSED=0
ok() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; echo "$PASSED passed, 1 failed"; exit 1; }
# No seqrt variable, no LD_LIBRARY_PATH: only what a fresh login has (and
# the OpenCL kernel cache, to spare PoCL's compiles).
run_clean() { env -i PATH=/usr/bin:/bin HOME="$WORK" ${XDG_CACHE_HOME:+XDG_CACHE_HOME=$XDG_CACHE_HOME} "$@"; }

check_tree() {
    local bin=$1 moddir=$2 pydir=$3 golden=$4 out
    out=$(run_clean "$bin/seqrt" backends 2>&1) || fail "$bin/seqrt backends failed: $out"
    local b
    for b in ${BACKENDS//,/ }; do
        if [ "$b" = reference ]; then
            grep -Eq "^  reference +built-in +[1-9][0-9]* +available$" <<<"$out" \
                || fail "$bin/seqrt backends: reference not available:"$'\n'"$out"
        else
            grep -Eq "^  $b +$moddir/libseqrt-$b.so +[1-9][0-9]* +available$" <<<"$out" \
                || fail "$bin/seqrt backends: $b not available from $moddir:"$'\n'"$out"
        fi
    done
    ok "seqrt backends lists ${BACKENDS} as available, modules from $moddir"

    local case=$REPO/conformance/data/golden/$GOLDEN_CASE atol rtol
    atol=$(sed -n 's/.*"atol": *\([0-9.e-]*\).*/\1/p' "$case/case.json")
    rtol=$(sed -n 's/.*"rtol": *\([0-9.e-]*\).*/\1/p' "$case/case.json")
    for b in ${BACKENDS//,/ }; do
        rm -rf "$WORK/run-$b" && mkdir -p "$WORK/run-$b"
        run_clean "$bin/seqrt" run "$case/model.json" --backend "$b" --output-dir "$WORK/run-$b" \
            --input x="$case/input.x.npy" --input h0="$case/input.h0.npy" --input c0="$case/input.c0.npy" \
            >/dev/null 2>"$WORK/run-$b.err" || fail "seqrt run on $b failed: $(cat "$WORK/run-$b.err")"
        local v
        for v in rnn rnn.h_n rnn.c_n; do
            "$ALLCLOSE" --atol "$atol" --rtol "$rtol" "$WORK/run-$b/$v.npy" "$case/expected.$v.npy" \
                || fail "seqrt run on $b: output $v differs from the golden"
        done
    done
    ok "installed seqrt run: golden $GOLDEN_CASE within tolerance on ${BACKENDS}"

    (cd "$WORK" && run_clean "$bin/seqrt-conformance" --backend reference --filter 'golden/lstm_*' \
        --json "$WORK/conf.json" --no-progress >"$WORK/conf.out" 2>&1) \
        || fail "installed seqrt-conformance failed: $(tail -5 "$WORK/conf.out")"
    grep -q "\"golden_dir\":[[:space:]]*\"$golden\"" "$WORK/conf.json" \
        || fail "installed seqrt-conformance did not use the installed goldens $golden: $(grep golden_dir "$WORK/conf.json")"
    ok "installed seqrt-conformance runs the installed goldens ($(tail -1 "$WORK/conf.out"))"

    run_clean env PYTHONPATH="$pydir" /usr/bin/python3 - "$pydir" "$case" "$BACKENDS" >"$WORK/py.out" 2>&1 <<'PY' \
        || fail "import seqrt from $pydir: $(cat "$WORK/py.out")"
import json, os, sys
import numpy as np
pydir, case, backends = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
import seqrt
assert os.path.realpath(seqrt.__file__).startswith(os.path.realpath(pydir)), seqrt.__file__
lib = os.path.realpath(seqrt.library_path())
root = os.path.realpath(os.path.join(pydir, "..", "..", ".."))
assert lib.startswith(root + os.sep), f"loaded {lib}, not the library under {root}"
avail = {d.backend for d in seqrt.devices() if d.available}
assert set(backends) <= avail, f"available {sorted(avail)}, want {backends}"
tol = json.load(open(os.path.join(case, "case.json")))
model = seqrt.Model(os.path.join(case, "model.json"))
inputs = {s.name: np.load(os.path.join(case, f"input.{s.name}.npy")) for s in model.inputs}
for b in backends:
    out = seqrt.Session(model, device=b).run(inputs)
    for name, got in out.items():
        want = np.load(os.path.join(case, "expected." + name.replace(":", ".") + ".npy"))
        assert got.shape == want.shape, (b, name, got.shape, want.shape)
        err = np.abs(got - want) - (tol["atol"] + tol["rtol"] * np.abs(want))
        assert (err <= 0).all(), f"{b} {name}: off by {err.max()} beyond tolerance"
print("python ok:", seqrt.version(), lib)
PY
    ok "import seqrt from $pydir: $(tail -1 "$WORK/py.out")"
}

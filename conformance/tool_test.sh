#!/usr/bin/env bash
# seqrt-conformance as a user runs it: exit status, closing line, progress
# and reports. Needs SEQRT_EXTRA_BACKENDS=perturb and SEQRT_BACKEND_PATH
# pointing at the test module (ctest sets both).
set -u
tool=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, condition...
    local what=$1; shift
    if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; fail=1; fi
}

# reference: passes, exit 0, reports written, closing line last
"$tool" --backend reference --filter '=lstm_T5B3I4H7,golden/lstm_vanilla,stream_charlm_onehot*' \
    --json "$tmp/r.json" --markdown "$tmp/r.md" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "reference: exit 0 (got $rc)" test $rc -eq 0
check "reference: closing line 'N passed, 0 failed'" grep -Eq '^[0-9]+ passed, 0 failed$' <(tail -n 1 "$tmp/out")
check "reference: JSON report" grep -q '"seqrt_version"' "$tmp/r.json"
check "reference: JSON names the driver" grep -q '"driver"' "$tmp/r.json"
check "reference: JSON has per-case errors" grep -q '"max_abs_error"' "$tmp/r.json"
check "reference: markdown report" grep -q '^# seqrt conformance report' "$tmp/r.md"
check "reference: no progress bar when not a terminal" test ! -s "$tmp/err"

# a perturbed backend: every case fails, exit 1
"$tool" --backend perturb:0 --filter =lstm_T5B3I4H7,=golden/lstm_vanilla --json "$tmp/p.json" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "perturb:0: exit 1 (got $rc)" test $rc -eq 1
check "perturb:0: closing line '0 passed, N failed'" grep -Eq '^0 passed, [1-9][0-9]* failed$' <(tail -n 1 "$tmp/out")
check "perturb:0: FAIL lines on stderr" grep -q '^FAIL lstm_T5B3I4H7 on perturb:0' "$tmp/err"
check "perturb:0: JSON says FAIL" grep -Eq '"result":[[:space:]]*"FAIL"' "$tmp/p.json"

# out of bounds writes, through the program
"$tool" --backend perturb:1 --filter =lstm_T5B3I4H7 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "perturb:1: exit 1 (got $rc)" test $rc -eq 1
check "perturb:1: reports the write past the end" grep -q 'wrote past the end' "$tmp/err"

# skipped cases do not fail; the closing line counts them
"$tool" --backend perturb:4 --filter =lstm_T5B3I4H7,=attention_dot_vecq_Tq1Tk6B4Hq5Hk5 >"$tmp/out" 2>&1
rc=$?
check "perturb:4: exit 0 with a skip (got $rc)" test $rc -eq 0
check "perturb:4: closing line '1 passed, 0 failed, 1 skipped'" grep -q '^1 passed, 0 failed, 1 skipped$' <(tail -n 1 "$tmp/out")

# several devices at once, a table per device
"$tool" --backend reference,perturb:2 --filter =lstm_T5B3I4H7 >"$tmp/out" 2>&1
rc=$?
check "two devices: exit 0 (got $rc)" test $rc -eq 0
check "two devices: a table each" test "$(grep -c '^== ' "$tmp/out")" -eq 2
check "two devices: nondeterminism reported" grep -q 'not deterministic' "$tmp/out"

# failures can be saved for `seqrt run`
"$tool" --backend perturb:0 --filter =lstm_T5B3I4H7 --save-failures "$tmp/saved" >/dev/null 2>&1
check "--save-failures writes the case" test -f "$tmp/saved/perturb_0/lstm_T5B3I4H7/model.json" -a \
    -f "$tmp/saved/perturb_0/lstm_T5B3I4H7/input.x.npy" -a -f "$tmp/saved/perturb_0/lstm_T5B3I4H7/reference.rnn.npy"

# a golden directory that is missing or empty is an error naming it, never a
# run without the goldens; --no-golden turns them off
"$tool" --backend reference --golden-dir "$tmp/nosuch" --filter =lstm_T5B3I4H7 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "missing --golden-dir: exit 1 (got $rc)" test $rc -eq 1
check "missing --golden-dir: the error names it" grep -q "golden directory $tmp/nosuch: No such file" "$tmp/err"
mkdir -p "$tmp/empty"
"$tool" --backend reference --golden-dir "$tmp/empty" --filter =lstm_T5B3I4H7 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "empty --golden-dir: exit 1 (got $rc)" test $rc -eq 1
check "empty --golden-dir: the error says it holds no case" grep -q "holds no case" "$tmp/err"
"$tool" --backend reference --no-golden --filter =lstm_T5B3I4H7 >"$tmp/out" 2>&1
rc=$?
check "--no-golden: exit 0 (got $rc)" test $rc -eq 0

# usage errors: exit 2
"$tool" --backend nosuch >/dev/null 2>"$tmp/err"
rc=$?
check "unknown backend: exit 2 (got $rc)" test $rc -eq 2
check "unknown backend: names what exists" grep -q 'reference' "$tmp/err"
"$tool" --bogus >/dev/null 2>&1
rc=$?
check "unknown option: exit 2 (got $rc)" test $rc -eq 2
"$tool" --list --full >"$tmp/out"
check "--list --full lists T=1000 cases" grep -q 'T1000' "$tmp/out"

exit $fail

#!/usr/bin/env bash
# Tests of the shipped example models and of the text commands:
#   seqrt generate  reproducible (same seed, same text), temperature 0 greedy,
#                   prompt errors name the character, option errors;
#   seqrt classify  labels the held-out lines of examples/licence at the
#                   accuracy its metadata reports, --text / stdin / --brief;
#   examples/interop/*  models written by tools/seqrt_export.py and
#                   tools/onnx2seqrt.py, run and compared with the outputs
#                   PyTorch / ONNX gave (no Python needed here).
#
#   examples/test_examples.sh SEQRT_BIN REPO_ROOT [NPY_ALLCLOSE_BIN]
#
# The backend is $SEQRT_BACKEND when set, else reference.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 SEQRT_BIN REPO_ROOT [NPY_ALLCLOSE_BIN]" >&2
    exit 2
fi
BIN=$1
REPO=$(cd "$2" && pwd) || exit 2
ALLCLOSE=${3:-$(dirname "$BIN")/npy_allclose}
export SEQRT_BACKEND=${SEQRT_BACKEND:-reference}
unset SEQRT_LOG
CHARLM=$REPO/examples/charlm/charlm.json
LICENCE=$REPO/examples/licence/licence.json
HELDOUT=$REPO/examples/licence/heldout.tsv
for f in "$CHARLM" "$LICENCE" "$HELDOUT"; do
    [ -f "$f" ] || { echo "test_examples: $f is missing" >&2; exit 2; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seqrt-examples.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
FAILS=0
TESTS=0
fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}
check() { # check NAME COMMAND...: the command must succeed
    local name=$1
    shift
    TESTS=$((TESTS + 1))
    "$@" || fail "$name"
}
# expect_error NAME STATUS PATTERN ARGS...: exit STATUS, one line on stderr
# matching PATTERN, nothing on stdout.
expect_error() {
    local name=$1 want=$2 pat=$3
    shift 3
    TESTS=$((TESTS + 1))
    "$BIN" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    local rc=$?
    if [ $rc -ne "$want" ]; then
        fail "$name: exit $rc, expected $want: $(head -c 300 "$WORK/err")"
        return
    fi
    [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "$name: stderr is not one line: $(head -c 300 "$WORK/err")"
    grep -q "^seqrt: error: " "$WORK/err" || fail "$name: no 'seqrt: error:' prefix"
    grep -q -e "$pat" "$WORK/err" || fail "$name: stderr lacks '$pat': $(cat "$WORK/err")"
    [ ! -s "$WORK/out" ] || fail "$name: wrote to stdout: $(head -c 200 "$WORK/out")"
}

# ---------------------------------------------------------------- generate
PROMPT="This program is free software"
"$BIN" generate "$CHARLM" --prompt "$PROMPT" --tokens 120 --seed 42 >"$WORK/g1" 2>"$WORK/e1"
check "generate runs" test $? -eq 0
"$BIN" generate "$CHARLM" --prompt "$PROMPT" --tokens 120 --seed 42 >"$WORK/g2" 2>/dev/null
check "generate: same seed, same text" cmp -s "$WORK/g1" "$WORK/g2"
"$BIN" generate "$CHARLM" --prompt "$PROMPT" --tokens 120 --seed 43 >"$WORK/g3" 2>/dev/null
check "generate: another seed, another text" test "$(cat "$WORK/g1")" != "$(cat "$WORK/g3")"
check "generate: output starts with the prompt" grep -q "^$PROMPT" "$WORK/g1"
# one character per token in this vocabulary: prompt + 120 characters + newline
check "generate: --tokens 120 gives 120 characters" \
    test "$(wc -c <"$WORK/g1")" -eq $((${#PROMPT} + 120 + 1))
check "generate: nothing on stderr" test ! -s "$WORK/e1"
"$BIN" generate "$CHARLM" --prompt "$PROMPT" --tokens 60 --temperature 0 --seed 1 >"$WORK/t1" 2>/dev/null
"$BIN" generate "$CHARLM" --prompt "$PROMPT" --tokens 60 --temperature 0 --seed 2 >"$WORK/t2" 2>/dev/null
check "generate: temperature 0 ignores the seed" cmp -s "$WORK/t1" "$WORK/t2"
"$BIN" generate "$CHARLM" --tokens 20 >"$WORK/d1" 2>/dev/null
check "generate: default prompt from metadata.prompt" grep -q "^$PROMPT" "$WORK/d1"
"$BIN" generate "$CHARLM" --prompt "$PROMPT" --tokens 5 --verbose >/dev/null 2>"$WORK/v1"
check "generate --verbose reports the speed" grep -q "tokens/s" "$WORK/v1"
expect_error "generate: unknown character" 1 "character 'é' (U+00E9) at character 4" \
    generate "$CHARLM" --prompt "caf$(printf '\xc3\xa9') au lait"
expect_error "generate: tab not in the vocabulary" 1 "U+0009" generate "$CHARLM" --prompt "$(printf 'a\tb')"
expect_error "generate: empty prompt" 2 "prompt is empty" generate "$CHARLM" --prompt ""
expect_error "generate: --tokens 0" 2 "tokens" generate "$CHARLM" --tokens 0
expect_error "generate: negative temperature" 2 "temperature" generate "$CHARLM" --temperature -1
expect_error "generate: bad seed" 2 "seed" generate "$CHARLM" --seed 12x
expect_error "generate: no model" 2 "no model" generate
expect_error "generate: non-streamable model" 1 "cannot run one step at a time" generate "$LICENCE"
expect_error "generate: missing model file" 1 "cannot load model" generate "$WORK/nosuch.json"
expect_error "generate: unknown backend" 1 "backend" generate "$CHARLM" --backend nosuch
TESTS=$((TESTS + 1))
"$BIN" generate --help >"$WORK/h" 2>&1 && grep -q "usage: seqrt generate" "$WORK/h" || fail "generate --help"

# ---------------------------------------------------------------- classify
cut -f2- "$HELDOUT" >"$WORK/lines"
cut -f1 "$HELDOUT" >"$WORK/labels"
"$BIN" classify "$LICENCE" --brief <"$WORK/lines" >"$WORK/pred" 2>"$WORK/perr"
check "classify: held-out lines from stdin" test $? -eq 0
check "classify: one line per input line" test "$(wc -l <"$WORK/pred")" -eq "$(wc -l <"$WORK/lines")"
right=$(cut -f1 "$WORK/pred" | paste -d'\t' - "$WORK/labels" | awk -F'\t' '$1 == $2' | wc -l)
total=$(wc -l <"$WORK/labels")
claimed=$(grep -o '"held_out_accuracy": [0-9.]*' "$LICENCE" | awk '{print $2}')
TESTS=$((TESTS + 1))
awk -v r="$right" -v n="$total" -v c="$claimed" 'BEGIN { exit !(n > 0 && c != "" && r / n >= c - 0.01) }' ||
    fail "classify: held-out accuracy $right/$total is below the documented $claimed"
first=$(head -1 "$WORK/lines")
want=$(head -1 "$WORK/labels")
"$BIN" classify "$LICENCE" --text "$first" >"$WORK/c1" 2>&1
check "classify --text" test $? -eq 0
check "classify --text prints the text" grep -q -F "$first" "$WORK/c1"
check "classify --text lists every label" test "$(grep -c '^     ' "$WORK/c1")" -eq 8
"$BIN" classify "$LICENCE" --text "$first" --text "$first" --top 2 >"$WORK/c2" 2>&1
check "classify: two --text, --top 2" test "$(grep -c '^     ' "$WORK/c2")" -eq 4
"$BIN" classify "$LICENCE" --text "Dieser Text enthält ein Zeichen außerhalb des Vokabulars" >/dev/null 2>&1
check "classify: characters outside the vocabulary map to metadata.unk" test $? -eq 0
expect_error "classify: model without labels" 1 "metadata.labels" classify "$CHARLM" --text "hello"
expect_error "classify: empty text" 1 "empty" classify "$LICENCE" --text "   "
expect_error "classify: no text on stdin" 2 "no text" classify "$LICENCE"
expect_error "classify: bad --top" 2 "top" classify "$LICENCE" --top x --text a
TESTS=$((TESTS + 1))
"$BIN" help classify >"$WORK/h" 2>&1 && grep -q "usage: seqrt classify" "$WORK/h" || fail "help classify"

# ---------------------------------------------------------------- exported / imported models
# examples/interop/<case>/: model.json, input.<name>.npy, expected.<file>.npy
if [ -x "$ALLCLOSE" ]; then
    for dir in "$REPO"/examples/interop/*/; do
        [ -f "$dir/model.json" ] || continue
        case_name=$(basename "$dir")
        args=()
        for f in "$dir"/input.*.npy; do
            n=$(basename "$f" .npy)
            args+=(--input "${n#input.}=$f")
        done
        out="$WORK/interop-$case_name"
        mkdir -p "$out"
        TESTS=$((TESTS + 1))
        if ! "$BIN" run "$dir/model.json" "${args[@]}" --output-dir "$out" --strict 2>"$WORK/ierr"; then
            fail "interop $case_name: $(head -c 300 "$WORK/ierr")"
            continue
        fi
        for e in "$dir"/expected.*.npy; do
            f=$(basename "$e")
            TESTS=$((TESTS + 1))
            "$ALLCLOSE" "$out/${f#expected.}" "$e" 2>"$WORK/aerr" ||
                fail "interop $case_name ${f#expected.}: $(head -c 300 "$WORK/aerr")"
        done
    done
else
    echo "test_examples: no npy_allclose at $ALLCLOSE: interop cases skipped" >&2
fi

echo "test_examples: $((TESTS - FAILS)) of $TESTS checks passed"
[ "$FAILS" -eq 0 ]

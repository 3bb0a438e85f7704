#!/usr/bin/env bash
# The oneDNN backend's measured engine choice (dnnl_probe.h): a PyTorch
# golden run with SEQRT_ONEDNN_PROBE=always measures its layer and writes
# the cache file; the next process reads it and measures nothing; a cached
# choice of each engine is honoured and still gives the golden's values; a
# line the file cannot hold is ignored with a warning; `memory` and `off`
# write no file; an unwritable cache folder never fails a run; a bad
# SEQRT_ONEDNN_PROBE is refused naming it.
#
#   backends/onednn/test_onednn_probe.sh SEQRT_BIN REPO_ROOT NPY_ALLCLOSE_BIN
set -u
BIN=$1
REPO=$(cd "$2" && pwd) || exit 2
ALLCLOSE=$3
GOLD=$REPO/conformance/data/golden
CASE=$GOLD/lstm_vanilla
[ -f "$CASE/model.json" ] || { echo "test_onednn_probe: $CASE is missing" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seqrt-probe-test.XXXXXX") || exit 2
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
unset SEQRT_ONEDNN_RNN SEQRT_ONEDNN_CACHE_DIR
export XDG_CACHE_HOME=$WORK/cache
CACHE=$XDG_CACHE_HOME/seqrt/onednn/engines.txt
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

# run LOGLEVEL: the golden case on onednn into $WORK/out, stderr in $WORK/err;
# non-zero when the run failed or its output is not the golden's
run() {
    rm -rf "$WORK/out" && mkdir -p "$WORK/out"
    SEQRT_LOG=$1 "$BIN" run "$CASE/model.json" --backend onednn --input "x=$CASE/input.x.npy" \
        --output-dir "$WORK/out" 2>"$WORK/err" >/dev/null || return 1
    "$ALLCLOSE" --atol 1e-4 --rtol 1e-3 "$WORK/out/rnn.npy" "$CASE/expected.rnn.npy" >/dev/null &&
        "$ALLCLOSE" --atol 1e-4 --rtol 1e-3 "$WORK/out/rnn.h_n.npy" "$CASE/expected.rnn.h_n.npy" >/dev/null
}

export SEQRT_ONEDNN_PROBE=always
if ! run info; then
    fail "measured run: $(cat "$WORK/err")"
elif ! grep -q "steps measured: .* engine" "$WORK/err"; then
    fail "the first run measured nothing: $(cat "$WORK/err")"
elif ! [ -s "$CACHE" ] || ! grep -q "op=lstm .*	\(small\|loop\|primitive\)	ms per run" "$CACHE"; then
    fail "no cache line written: $(cat "$CACHE" 2>&1)"
else
    ok "first run measured the engines and wrote $(wc -l <"$CACHE") cache line(s)"
fi

if ! run debug; then
    fail "cached run: $(cat "$WORK/err")"
elif grep -q "steps measured" "$WORK/err" || ! grep -q "engine (measured before" "$WORK/err"; then
    fail "the second process measured again instead of reading the cache: $(grep onednn "$WORK/err")"
else
    ok "a second process reads the cache"
fi

# a cached choice of each engine is what runs, and gives the golden's values
for e in small loop primitive; do
    sed -i "s/	\(small\|loop\|primitive\)	/	$e	/" "$CACHE"
    if ! run debug; then
        fail "cached $e: $(cat "$WORK/err")"
    elif ! grep -q "$e engine (measured before" "$WORK/err"; then
        fail "cached $e not honoured: $(grep onednn "$WORK/err")"
    else
        ok "cached $e honoured, outputs equal the golden's"
    fi
done

printf 'not a cache line\nkey\tfastest\tms\n' >>"$CACHE"
if ! run warn; then
    fail "a damaged cache failed the run: $(cat "$WORK/err")"
elif ! grep -q "2 line(s) not understood" "$WORK/err"; then
    fail "damaged lines not reported: $(cat "$WORK/err")"
else
    ok "damaged cache lines ignored with a warning"
fi

for m in memory off; do
    export XDG_CACHE_HOME=$WORK/cache-$m
    export SEQRT_ONEDNN_PROBE=$m
    if ! run info; then
        fail "SEQRT_ONEDNN_PROBE=$m: $(cat "$WORK/err")"
    elif [ -e "$XDG_CACHE_HOME" ]; then
        fail "SEQRT_ONEDNN_PROBE=$m wrote $XDG_CACHE_HOME"
    elif [ $m = off ] && grep -q "steps measured" "$WORK/err"; then
        fail "SEQRT_ONEDNN_PROBE=off measured"
    elif [ $m = memory ] && ! grep -q "steps measured" "$WORK/err"; then
        ok "SEQRT_ONEDNN_PROBE=memory: small layers keep the rule, no file"
    else
        ok "SEQRT_ONEDNN_PROBE=$m: no file"
    fi
done

export SEQRT_ONEDNN_PROBE=always XDG_CACHE_HOME=$WORK/blocked
: >"$WORK/blocked" # a file where the cache folder would be
if ! run warn; then
    fail "an unwritable cache folder failed the run: $(cat "$WORK/err")"
elif ! grep -q "not cached" "$WORK/err"; then
    fail "an unwritable cache folder went unreported: $(cat "$WORK/err")"
else
    ok "an unwritable cache folder: the run succeeds, a warning says why"
fi

export SEQRT_ONEDNN_PROBE=fastest
mkdir -p "$WORK/bad"
if "$BIN" run "$CASE/model.json" --backend onednn --input "x=$CASE/input.x.npy" --output-dir "$WORK/bad" \
    >/dev/null 2>"$WORK/err"; then
    fail "SEQRT_ONEDNN_PROBE=fastest accepted"
elif ! grep -q "SEQRT_ONEDNN_PROBE='fastest'" "$WORK/err" || [ -n "$(ls -A "$WORK/bad")" ]; then
    fail "SEQRT_ONEDNN_PROBE=fastest: unclear error or output left: $(cat "$WORK/err")"
else
    ok "SEQRT_ONEDNN_PROBE=fastest refused: $(head -1 "$WORK/err")"
fi

echo "test_onednn_probe: $FAILS failure(s)"
[ "$FAILS" -eq 0 ]

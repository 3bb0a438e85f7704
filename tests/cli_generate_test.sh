#!/usr/bin/env bash
# Tests of `seqrt generate` with a language model whose inputs beyond the
# token ids are initial states (d2l's RNNModel(inputs, state) as exported:
# the ids and the layer's h0/c0 fed by model inputs). The example charlm
# rewritten with h0 and c0 inputs must generate, from the zeros generate
# feeds on the first run and the state the streaming session carries after
# it, exactly the text of the model without them (absent h0/c0 are zeros);
# a second input with a time axis is refused in one line. --streams 8
# --output-dir D (docs/streams.md) writes eight files, each byte for byte the
# text of a solo run seeded S+i, on the reference backend and on onednn.
# On OpenCL each step moves one token id in and one probability row out
# (with --streams N: N of each).
#
#   tests/cli_generate_test.sh SEQRT_BIN REPO_ROOT
#
# The backend is $SEQRT_BACKEND when set, else reference. Needs bash, sed
# and coreutils.
set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 SEQRT_BIN REPO_ROOT" >&2
    exit 2
fi
BIN=$1
REPO=$(cd "$2" && pwd) || exit 2
export SEQRT_BACKEND=${SEQRT_BACKEND:-reference}
unset SEQRT_LOG
CHARLM=$REPO/examples/charlm/charlm.json
WEIGHTS=$REPO/examples/charlm/charlm.safetensors
[ -x "$BIN" ] || { echo "cli_generate_test: $BIN is not an executable" >&2; exit 2; }
[ -f "$CHARLM" ] || { echo "cli_generate_test: $CHARLM is missing" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/seqrt-cli-generate-test.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
FAILS=0
fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
}

# charlm with initial states: inputs tokens, h0, c0 ([num_layers, B, H]) feeding the lstm.
IDS='"inputs": \[{"name": "tokens", "dtype": "int32", "shape": \["T", "B"\]}\],'
STATES='{"name": "h0", "dtype": "float32", "shape": [2, "B", 256]}, {"name": "c0", "dtype": "float32", "shape": [2, "B", 256]}'
sed -e "s/$IDS/\"inputs\": [{\"name\": \"tokens\", \"dtype\": \"int32\", \"shape\": [\"T\", \"B\"]}, $STATES],/" \
    -e 's/"inputs": {"x": "embed"},/"inputs": {"x": "embed", "h0": "h0", "c0": "c0"},/' \
    "$CHARLM" >"$WORK/stateful.json"
grep -q '"h0": "h0"' "$WORK/stateful.json" && grep -q '"name": "c0"' "$WORK/stateful.json" ||
    { echo "cli_generate_test: could not rewrite $CHARLM" >&2; exit 2; }

"$BIN" info "$WORK/stateful.json" --weights "$WEIGHTS" >"$WORK/info" 2>&1 || fail "info of the stateful model: $(cat "$WORK/info")"

for args in "--seed 3 --tokens 60" "--seed 11 --tokens 40 --temperature 0" "--seed 5 --tokens 30 --prompt Th"; do
    # shellcheck disable=SC2086
    "$BIN" generate "$CHARLM" $args >"$WORK/plain.txt" 2>"$WORK/plain.err" || fail "generate charlm $args: $(cat "$WORK/plain.err")"
    # shellcheck disable=SC2086
    if "$BIN" generate "$WORK/stateful.json" --weights "$WEIGHTS" $args >"$WORK/state.txt" 2>"$WORK/state.err"; then
        cmp -s "$WORK/plain.txt" "$WORK/state.txt" ||
            fail "generate $args: the model with h0/c0 inputs wrote '$(cat "$WORK/state.txt")', without them '$(cat "$WORK/plain.txt")'"
        [ -s "$WORK/state.err" ] && fail "generate $args wrote to stderr: $(cat "$WORK/state.err")"
    else
        fail "generate with state inputs $args: exit $?: $(cat "$WORK/state.err")"
    fi
done

# A second input with a time axis (unused; the loader warns) is not an
# initial state: refused in one error line, exit 1.
sed -e 's/"name": "h0", "dtype": "float32", "shape": \[2, "B", 256\]/"name": "h0", "dtype": "float32", "shape": ["T", "B", 256]/' \
    -e 's/"h0": "h0", //' "$WORK/stateful.json" >"$WORK/two_seq.json"
"$BIN" generate "$WORK/two_seq.json" --weights "$WEIGHTS" --tokens 5 >"$WORK/out" 2>"$WORK/err"
rc=$?
[ "$rc" = 1 ] || fail "two inputs with a time axis: exit $rc, expected 1"
[ "$(grep -c "^seqrt: error: " "$WORK/err")" = 1 ] ||
    fail "two inputs with a time axis: expected one error line, got: $(cat "$WORK/err")"
grep -q "inputs with a time axis; it needs exactly one, the token ids" "$WORK/err" ||
    fail "two inputs with a time axis: message: $(cat "$WORK/err")"

# --streams N --output-dir DIR (docs/streams.md): N texts through one stream
# pool, stream i seeded S+i, each file byte for byte what --seed S+i alone
# prints; on the reference backend and on onednn when it is available here.
for backend in reference onednn; do
    if ! "$BIN" generate "$CHARLM" --backend "$backend" --tokens 1 >/dev/null 2>"$WORK/probe.err"; then
        echo "cli_generate_test: --streams on $backend skipped: $(head -1 "$WORK/probe.err")"
        continue
    fi
    sets=("--seed 40 --tokens 20 --temperature 1.3 --prompt The")
    [ "$backend" = reference ] && sets+=("--seed 7 --tokens 30")  # onednn: one set (each solo run takes seconds)
    for args in "${sets[@]}"; do
        D=$WORK/streams-$backend
        rm -rf "$D" && mkdir "$D"
        # shellcheck disable=SC2086
        if ! "$BIN" generate "$CHARLM" --backend "$backend" $args --streams 8 --output-dir "$D" \
            >"$WORK/streams.out" 2>"$WORK/streams.err"; then
            fail "generate --streams 8 $args on $backend: $(cat "$WORK/streams.err")"
            continue
        fi
        [ -s "$WORK/streams.out" ] && fail "generate --streams wrote to stdout: $(cat "$WORK/streams.out")"
        grep -q "tokens/s aggregate" "$WORK/streams.err" ||
            fail "generate --streams $args on $backend: no aggregate tokens/s on stderr: $(cat "$WORK/streams.err")"
        [ "$(ls -A "$D" | tr '\n' ' ')" = "stream-0.txt stream-1.txt stream-2.txt stream-3.txt stream-4.txt stream-5.txt stream-6.txt stream-7.txt " ] ||
            fail "generate --streams 8 $args on $backend: the directory holds: $(ls -A "$D" | tr '\n' ' ')"
        seed=$(echo "$args" | sed 's/.*--seed \([0-9]*\).*/\1/')
        rest=$(echo "$args" | sed 's/--seed [0-9]*//')
        for i in 0 1 2 3 4 5 6 7; do
            # shellcheck disable=SC2086
            "$BIN" generate "$CHARLM" --backend "$backend" --seed $((seed + i)) $rest >"$WORK/solo.txt" 2>"$WORK/solo.err" ||
                fail "solo generate --seed $((seed + i)): $(cat "$WORK/solo.err")"
            cmp -s "$WORK/solo.txt" "$D/stream-$i.txt" ||
                fail "$backend $args: stream $i wrote '$(cat "$D/stream-$i.txt")', --seed $((seed + i)) alone '$(cat "$WORK/solo.txt")'"
        done
    done
done
# On OpenCL the streaming session keeps the recurrent state on the device
# (docs/opencl.md): each step moves one token id in (4 bytes) and one
# probability row out (84 floats), nothing else, and no state is read back
# (the backend's SEQRT_LOG=debug lines); the text is byte for byte that of
# the core's host copies of the state (SEQRT_STREAM_STATE=host). For the
# model with h0/c0 inputs too: they are not sent after the first step.
if "$BIN" generate "$CHARLM" --backend opencl --tokens 1 >/dev/null 2>"$WORK/probe.err"; then
    for model in "$CHARLM" "$WORK/stateful.json"; do
        args="--backend opencl --weights $WEIGHTS --seed 9 --tokens 12"
        # shellcheck disable=SC2086
        SEQRT_LOG=debug "$BIN" generate "$model" $args >"$WORK/ocl.txt" 2>"$WORK/ocl.err" ||
            { fail "generate on opencl: $(grep -v debug "$WORK/ocl.err")"; continue; }
        # shellcheck disable=SC2086
        SEQRT_STREAM_STATE=host "$BIN" generate "$model" $args >"$WORK/host.txt" 2>"$WORK/host.err" ||
            fail "generate on opencl, SEQRT_STREAM_STATE=host: $(cat "$WORK/host.err")"
        cmp -s "$WORK/ocl.txt" "$WORK/host.txt" ||
            fail "opencl $model: the state on the device wrote '$(cat "$WORK/ocl.txt")', host copies '$(cat "$WORK/host.txt")'"
        runs=$(grep -c "opencl: run: " "$WORK/ocl.err")
        steps=$(grep "opencl: run: " "$WORK/ocl.err" | tail -n +2 |
            grep -c "run: 1 host->device transfer(s) of 4 bytes, 1 device->host of 336 bytes;")
        [ "$runs" = 12 ] && [ "$steps" = 11 ] ||
            fail "opencl $model: $runs runs logged, $steps of one token in and one row out (expected 12, 11): $(grep "opencl: run: " "$WORK/ocl.err" | head -3)"
        grep -q "read from the device" "$WORK/ocl.err" &&
            fail "opencl $model: a state was read back: $(grep "read from the device" "$WORK/ocl.err" | head -1)"
    done
    # --streams 8: the pool's states stay on the device too: a step moves 8
    # token ids in and 8 probability rows out; the files as with host copies.
    for mode in auto host; do
        rm -rf "$WORK/pool-$mode" && mkdir "$WORK/pool-$mode"
        SEQRT_STREAM_STATE=$mode SEQRT_LOG=debug "$BIN" generate "$CHARLM" --backend opencl --seed 4 --tokens 6 \
            --streams 8 --output-dir "$WORK/pool-$mode" >/dev/null 2>"$WORK/pool-$mode.err" ||
            fail "generate --streams 8 on opencl ($mode): $(grep -v debug "$WORK/pool-$mode.err")"
    done
    for i in 0 1 2 3 4 5 6 7; do
        cmp -s "$WORK/pool-auto/stream-$i.txt" "$WORK/pool-host/stream-$i.txt" ||
            fail "opencl --streams 8: stream $i wrote '$(cat "$WORK/pool-auto/stream-$i.txt")', with host copies '$(cat "$WORK/pool-host/stream-$i.txt")'"
    done
    steps=$(grep "opencl: run: " "$WORK/pool-auto.err" | tail -n +2 |
        grep -c "run: 1 host->device transfer(s) of 32 bytes, 1 device->host of 2688 bytes;")
    [ "$steps" = 5 ] ||
        fail "opencl --streams 8: $steps of 5 steps moved 8 token ids in and 8 rows out: $(grep "opencl: run: " "$WORK/pool-auto.err" | sed -n 2p)"
else
    echo "cli_generate_test: opencl skipped: $(head -1 "$WORK/probe.err")"
fi

# --streams without --output-dir (and the reverse): usage errors; a missing
# directory: exit 1, nothing written.
"$BIN" generate "$CHARLM" --streams 2 >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] && grep -q "needs --output-dir" "$WORK/err" || fail "--streams without --output-dir: $(cat "$WORK/err")"
"$BIN" generate "$CHARLM" --output-dir "$WORK" >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] && grep -q "needs --streams" "$WORK/err" || fail "--output-dir without --streams: $(cat "$WORK/err")"
"$BIN" generate "$CHARLM" --streams 0 --output-dir "$WORK" >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] || fail "--streams 0: $(cat "$WORK/err")"
"$BIN" generate "$CHARLM" --streams 2 --output-dir "$WORK/missing" --tokens 3 >"$WORK/out" 2>"$WORK/err"
[ $? = 1 ] && grep -q "no such directory" "$WORK/err" && [ ! -e "$WORK/missing" ] ||
    fail "--output-dir missing: $(cat "$WORK/err")"

if [ "$FAILS" -ne 0 ]; then
    echo "cli_generate_test: $FAILS failure(s)" >&2
    exit 1
fi
echo "cli_generate_test: ok"

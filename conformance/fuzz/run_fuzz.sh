#!/usr/bin/env bash
# Runs one libFuzzer target of seqrt for a while.
#
#   conformance/fuzz/run_fuzz.sh BUILD_DIR TARGET SECONDS [WORK_DIR] [-- LIBFUZZER_ARGS...]
#
# TARGET is description, graph, safetensors or npy; BUILD_DIR a tree
# configured with clang (bin/fuzz_TARGET, see tests/reliability.cmake).
# The working corpus WORK_DIR/corpus-TARGET (default WORK_DIR:
# BUILD_DIR/fuzz) starts from the committed seeds (conformance/fuzz/corpus/
# TARGET), every past finding (conformance/fuzz/regressions/TARGET) and the
# matching golden files, and keeps what the fuzzer adds between runs.
# Findings go to WORK_DIR/artifacts-TARGET/. The last line printed is
# "fuzz_TARGET: N execs in S s, status RC". Exits with libFuzzer's status
# (0: nothing found).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 3 ] || { sed -n 2,15p "$0"; exit 2; }
build=$1 target=$2 seconds=$3
shift 3
work=$build/fuzz
if [ $# -gt 0 ] && [ "$1" != "--" ]; then work=$1; shift; fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
bin=$build/bin/fuzz_$target
[ -x "$bin" ] || { echo "run_fuzz.sh: $bin not built (configure with clang)" >&2; exit 2; }

case $target in
  description|graph) suffix=model.json; dict=description.dict; maxlen=16384 ;;
  safetensors) suffix=.safetensors; dict=safetensors.dict; maxlen=65536 ;;
  npy) suffix=.npy; dict=npy.dict; maxlen=4096 ;;
  *) echo "run_fuzz.sh: unknown target $target" >&2; exit 2 ;;
esac

corpus=$work/corpus-$target
artifacts=$work/artifacts-$target
mkdir -p "$corpus" "$artifacts"
# seeds: flat copies with unique names (libFuzzer reads one level)
for d in "$root/conformance/fuzz/corpus/$target" "$root/conformance/fuzz/regressions/$target"; do
  [ -d "$d" ] && cp -n "$d"/* "$corpus"/ 2>/dev/null || true
done
golden=$root/conformance/data/golden
for f in "$golden"/*/*"$suffix"; do
  [ -f "$f" ] || continue
  case=$(basename "$(dirname "$f")")
  cp -n "$f" "$corpus/golden-$case-$(basename "$f")"
done

log=$work/fuzz-$target.log
set +e
nice -n 10 "$bin" -max_total_time="$seconds" -timeout=20 -max_len=$maxlen \
  -dict="$root/conformance/fuzz/$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$@" "$corpus" >"$log" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ $rc -ne 0 ]; then
  echo "fuzz_$target: FINDING (status $rc); log: $log" >&2
  grep -E "ERROR|SUMMARY|invariant|Test unit written" "$log" | head -20 >&2 || true
fi
echo "fuzz_$target: ${execs:-?} execs in $seconds s, status $rc"
exit $rc

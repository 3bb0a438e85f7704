#!/usr/bin/env bash
# First command of the README: installs what is missing, builds seqrt, and
# runs the embedded default model (a char-level LSTM language model trained
# on Debian's licence texts) on the default backend.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/install_deps.sh"
bash "$root/tools/build.sh"
seqrt="$root/build/bin/seqrt"
"$seqrt" backends
"$seqrt" info "$root/examples/charlm/charlm.json"
out=$(mktemp -d)
SEQRT_LOG=${SEQRT_LOG:-info} "$seqrt" run "$root/examples/charlm/charlm.json" \
  --input tokens="$root/examples/charlm/prompt.npy" --output-dir "$out"
ls -l "$out"
echo "outputs written to $out"

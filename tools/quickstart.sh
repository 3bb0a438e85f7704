#!/usr/bin/env bash
# First command of the README: installs what is missing, builds seqrt, and
# runs the embedded default models on the default backend ($SEQRT_BACKEND,
# else auto): the char-level LSTM language model writes text one character
# at a time (examples/charlm), then the LSTM + attention-pooling classifier
# tells which licence lines of text come from (examples/licence). Both were
# trained on the licence texts Debian ships.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/install_deps.sh"
bash "$root/tools/build.sh"
seqrt="$root/build/bin/seqrt"
charlm="$root/examples/charlm/charlm.json"
licence="$root/examples/licence/licence.json"

echo "== seqrt backends"
"$seqrt" backends
echo
echo "== seqrt info examples/charlm/charlm.json"
"$seqrt" info "$charlm"
echo
echo "== seqrt generate: the char-level LSTM continues a prompt, one character per step"
echo "   (a streaming session carries the LSTM state; same seed, same backend: same text)"
echo
SEQRT_LOG=${SEQRT_LOG:-info} "$seqrt" generate "$charlm" --prompt "This program is free software" \
  --tokens 300 --temperature 0.6 --seed 1 --verbose
echo
echo "== seqrt classify: which licence does each line come from?"
echo "   (two held-out lines the classifier never saw in training, and one written for this demo;"
echo "    held-out accuracy $(grep -o '"held_out_accuracy": [0-9.]*' "$licence" | cut -d' ' -f2), chance 0.30)"
echo
"$seqrt" classify "$licence" --top 3 \
  --text "4. You may not copy, modify, sublicense, or distribute the Program" \
  --text "names, trademarks, service marks, or product names of the Licensor," \
  --text "You may redistribute this library and change it under the terms of the Lesser General Public License"
echo
echo "== Python: the same language model through import seqrt (python/seqrt, docs/python.md)"
PYTHONPATH="$root/python" SEQRT_LIBRARY="$root/build/lib/libseqrt.so.0" /usr/bin/python3 - "$charlm" <<'PY'
import sys
import numpy as np
import seqrt

model = seqrt.Model(sys.argv[1])
vocab = model.metadata["vocab"]
ids = np.array([[vocab.index(c)] for c in "This program is free software"], np.int32)
with seqrt.Session(model) as session:
    probs = session.run({"tokens": ids})["probs"]
best = np.argsort(probs[-1, 0])[::-1][:3]
print("on %s: after %r the likeliest next characters are %s" % (
    session.device.id, "This program is free software",
    ", ".join("%r (p = %.2f)" % (vocab[i], probs[-1, 0, i]) for i in best)))
PY

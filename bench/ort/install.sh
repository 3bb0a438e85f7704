#!/bin/sh
# Installs ONNX Runtime's CPU library for seqrt-bench's ORT baseline column:
# the npm package onnxruntime-node ships libonnxruntime inside it, so no
# install script is needed (--ignore-scripts: its script only fetches GPU
# add-ons). Needs node (>= 16) and npm: apt-get install nodejs npm.
set -eu
cd "$(dirname "$0")"
command -v npm >/dev/null 2>&1 || { echo "install.sh: npm not found (apt-get install nodejs npm)" >&2; exit 1; }
npm install --ignore-scripts --no-audit --no-fund
node ort_lstm.js --version

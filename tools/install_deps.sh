#!/usr/bin/env bash
# Installs the Debian packages seqrt builds and tests with, if any is missing.
#   tools/install_deps.sh            build + test dependencies
#   tools/install_deps.sh --tools    also the Python tools' (torch, numpy, onnx)
set -euo pipefail
pkgs=(cmake make gcc pkg-config libcjson-dev libcriterion-dev
      libdnnl-dev libclblast-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo)
if [[ "${1:-}" == "--tools" ]]; then
  pkgs+=(python3-torch python3-numpy python3-onnx libonnx-testdata)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "seqrt: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

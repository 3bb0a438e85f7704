#!/usr/bin/env bash
# Installs the Debian packages seqrt builds and tests with, if any is missing.
#   tools/install_deps.sh            build + test dependencies, the Python
#                                    package's (numpy, pytest, venv; torch and
#                                    onnx for seqrt.export / seqrt.onnx;
#                                    distributed and pandas for seqrt.dask)
#                                    and the Debian packaging's (dpkg-dev)
#   tools/install_deps.sh --tools    the same (kept for older instructions)
#   tools/install_deps.sh --ci       also the reliability CI's (clang with
#                                    libFuzzer and the sanitizers, valgrind)
set -euo pipefail
pkgs=(cmake make gcc pkg-config libcjson-dev libcriterion-dev
      libdnnl-dev libclblast-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo
      mesa-opencl-icd oclgrind
      dpkg-dev python3 python3-numpy python3-pytest python3-venv python3-setuptools
      python3-torch python3-onnx libonnx-testdata python3-distributed python3-pandas)
for a in "$@"; do
  case $a in
    --tools) ;;
    --ci) pkgs+=(clang libclang-rt-dev llvm valgrind) ;;
    *) echo "install_deps.sh: unknown option $a (--tools, --ci)" >&2; exit 2 ;;
  esac
done
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

#!/usr/bin/env bash
# Second command of the README (and CI): installs what is missing, builds
# seqrt, and runs every test through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/install_deps.sh"
bash "$root/tools/build.sh"
ctest --test-dir "${SEQRT_BUILD_DIR:-$root/build}" --output-on-failure -j"$(nproc)"

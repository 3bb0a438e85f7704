#!/bin/sh
# Runs a command with rusticl (Mesa's OpenCL on llvmpipe, a second OpenCL
# implementation beside PoCL) as the only OpenCL platform, so it is
# device opencl:0:
#   with_rusticl.sh SEQRT_CLI COMMAND [ARGS...]
# Skips (exit 77, a message on stdout) when the rusticl ICD or its device is
# missing: install mesa-opencl-icd (tools/install_deps.sh does).
set -eu
cli=$1
shift
icd=${SEQRT_RUSTICL_ICD:-/etc/OpenCL/vendors/rusticl.icd}
if [ ! -f "$icd" ]; then
    echo "skipped: no rusticl ICD at $icd (install mesa-opencl-icd)"
    exit 77
fi
export OCL_ICD_VENDORS="$icd" RUSTICL_ENABLE=swrast
if ! "$cli" backends 2>/dev/null | grep -q '^ *opencl:0 .*rusticl'; then
    echo "skipped: the rusticl ICD ($icd, RUSTICL_ENABLE=swrast) lists no device; seqrt backends says:"
    "$cli" backends 2>&1 | grep -i opencl || true
    exit 77
fi
exec "$@"

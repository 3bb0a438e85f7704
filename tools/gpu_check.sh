#!/usr/bin/env bash
# The first run of seqrt's OpenCL backend on a machine whose GPU we do not
# build on. Two steps:
#
#   tools/gpu_check.sh pack [BUILD_DIR] [PACK]
#       here, after tools/build.sh: gathers what the run needs into one
#       tarball (default build-gpu/gpu-pack.tar.xz): seqrt, seqrt-bench and
#       seqrt-conformance, libseqrt and its backend modules, and the shared
#       libraries they load that a bare machine may lack (the ICD loader,
#       CLBlast, cJSON, oneDNN, libgomp), plus clinfo. Nothing is built on
#       the GPU machine.
#
#   tools/gpu_check.sh run [PACK|BUILD_DIR] [REPORT_DIR]
#       there (or here, against PoCL, to rehearse): unpacks the tarball,
#       points the ICD loader at the NVIDIA driver's libnvidia-opencl.so.1
#       wherever it is mounted (OCL_ICD_VENDORS; the system's ICDs when no
#       NVIDIA driver is found), then runs, each under `timeout`:
#         clinfo -> clinfo.txt, `seqrt backends` -> backends.txt,
#         the conformance quick set on the OpenCL backend -> conformance.{json,md},
#         seqrt-bench --set deepbench,training on OpenCL -> bench.{json,md}
#       writing everything into REPORT_DIR (default gpu-report/), with a
#       summary.txt of each step's status and seconds. All steps together
#       stay under 6 minutes (the budgets below). The exit status is non-zero
#       when any step failed. A library the binaries cannot find on that
#       machine is listed in summary.txt (ldd) before any step runs.
#
# Environment: GPU_CHECK_BACKEND (default opencl:0, the first OpenCL
# device; on the GPU machine only the NVIDIA ICD is registered),
# GPU_CHECK_BENCH_BUDGET (seconds per bench case and device, default 0.2),
# GPU_CHECK_QUICK=1 (bench --quick: the rehearsal on a 2-core CPU),
# GPU_CHECK_ENGINES=gemm,step,persistent (an extra step after the four, outside
# their 6 minutes: seqrt-bench --set deepbench once per recurrent path forced
# with SEQRT_OPENCL_RECURRENT, 60 s each -> engines-<path>.{json,md}; an
# entry PATH:FORM also forces the step kernels' form (SEQRT_OPENCL_STEP_FORM,
# units or rows), PATH:FORM:WG/LANES/UNITS the rows form's parameters
# (SEQRT_OPENCL_STEP_ROWS_WG, _LANES, _UNITS; empty fields keep the
# profile's): step:rows:128/16/2 -> engines-step-rows-128-16-2.{json,md};
# @NAME=VALUE suffixes set SEQRT_OPENCL_NAME: grid@GRID_GROUPS=264 ->
# engines-grid-GRID_GROUPS-264.{json,md}),
# GPU_CHECK_STREAMS=1 (also outside the 6 minutes: `seqrt generate --tokens 2000
# --verbose` on the example char-LM with its state on the device (auto) and with
# SEQRT_STREAM_STATE=host -> generate-{auto,host}.txt, and seqrt-bench
# --streams 32 -> streams.txt; 60 s each).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
shift || true

pack() {
    local build=${1:-$root/build} out=${2:-$root/build-gpu/gpu-pack.tar.xz}
    [ -x "$build/bin/seqrt" ] || { echo "gpu_check pack: $build/bin/seqrt is missing: run tools/build.sh first" >&2; return 1; }
    local stage
    stage=$(mktemp -d) || return 1
    trap 'rm -rf "$stage"' RETURN
    mkdir -p "$stage/gpu-pack/bin" "$stage/gpu-pack/lib" "$(dirname "$out")" || return 1
    cp "$build/bin/seqrt" "$build/bin/seqrt-bench" "$build/bin/seqrt-conformance" "$stage/gpu-pack/bin/" || return 1
    cp -a "$build/lib/." "$stage/gpu-pack/lib/" || return 1
    rm -f "$stage/gpu-pack/lib/"libseqrt_oclgrind_shim.so* # a test shim (tests/oclgrind_shim.c), not part of seqrt
    command -v clinfo >/dev/null && cp "$(command -v clinfo)" "$stage/gpu-pack/bin/"
    # The shared libraries outside glibc that the binaries and modules load.
    local deps
    deps=$(ldd "$build"/bin/seqrt* "$build"/lib/seqrt-*/*.so 2>/dev/null |
        awk '/=> \// {print $3}' | sort -u |
        grep -E '/lib(OpenCL|clblast|cjson|dnnl|gomp)\.so' || true)
    for d in $deps; do cp -L "$d" "$stage/gpu-pack/lib/" || return 1; done
    local tmp="$out.part"
    tar -C "$stage" -cJf "$tmp" gpu-pack && mv "$tmp" "$out" || { rm -f "$tmp"; return 1; }
    echo "gpu_check pack: $out ($(du -h "$out" | cut -f1)): $(ls "$stage/gpu-pack/lib" | tr '\n' ' ')"
}

# The NVIDIA driver's OpenCL library, wherever the container runtime mounted it.
find_nvidia_icd() {
    local p
    p=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 / {print $NF; exit}')
    [ -n "$p" ] && { echo "$p"; return 0; }
    for dir in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib \
               /usr/local/cuda/lib64 /run/nvidia/driver/usr/lib/x86_64-linux-gnu; do
        [ -e "$dir/libnvidia-opencl.so.1" ] && { echo "$dir/libnvidia-opencl.so.1"; return 0; }
    done
    p=$(find / -xdev -name 'libnvidia-opencl.so.1*' 2>/dev/null | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    return 1
}

run() {
    local src=${1:-$root/build-gpu/gpu-pack.tar.xz} report=${2:-$root/gpu-report}
    local backend=${GPU_CHECK_BACKEND:-opencl:0} budget=${GPU_CHECK_BENCH_BUDGET:-0.2}
    mkdir -p "$report" || return 1
    report=$(cd "$report" && pwd)
    local base
    if [ -f "$src" ]; then
        base=$report/.pack
        rm -rf "$base" && mkdir -p "$base" && tar -C "$base" -xJf "$src" ||
            { echo "gpu_check run: cannot unpack $src" >&2; return 1; }
        base=$base/gpu-pack
    elif [ -x "$src/bin/seqrt" ]; then
        base=$(cd "$src" && pwd)
    else
        echo "gpu_check run: $src is neither a pack (tools/gpu_check.sh pack) nor a build directory" >&2
        return 1
    fi
    export LD_LIBRARY_PATH="$base/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export SEQRT_BACKEND_PATH="$base/lib/seqrt-0"
    export XDG_CACHE_HOME="$report/.cache"
    local icd
    if icd=$(find_nvidia_icd); then
        mkdir -p "$report/.vendors"
        echo "$icd" >"$report/.vendors/nvidia.icd"
        export OCL_ICD_VENDORS="$report/.vendors"
        echo "gpu_check: NVIDIA OpenCL driver $icd"
    else
        echo "gpu_check: no libnvidia-opencl.so.1 found; using the system's OpenCL ICDs"
    fi
    local failed=0 summary="$report/summary.txt"
    : >"$summary"
    local missing
    missing=$(ldd "$base"/bin/seqrt* "$base"/lib/seqrt-0/*.so 2>/dev/null | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')
    [ -n "$missing" ] && echo "missing libraries: $missing" | tee -a "$summary"
    step() { # step NAME SECONDS OUTFILE CMD...
        local name=$1 limit=$2 out=$3; shift 3
        local t0 rc
        t0=$(date +%s)
        timeout --kill-after=10 "$limit" "$@" >"$out" 2>&1
        rc=$?
        printf '%-12s rc=%-3d %4ds  (limit %ss) %s\n' "$name" "$rc" $(( $(date +%s) - t0 )) "$limit" "$*" | tee -a "$summary"
        [ "$rc" -eq 0 ] || { failed=1; tail -5 "$out" | sed 's/^/    /'; }
    }
    {
        echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -srm)"
        command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    } >"$report/machine.txt" 2>&1
    local clinfo_bin
    clinfo_bin=$(command -v clinfo || echo "$base/bin/clinfo")
    step clinfo 30 "$report/clinfo.txt" "$clinfo_bin"
    step backends 30 "$report/backends.txt" "$base/bin/seqrt" backends
    step conformance 150 "$report/conformance.txt" "$base/bin/seqrt-conformance" --quick --no-progress \
        --backend "$backend" --golden-dir "$root/conformance/data/golden" \
        --json "$report/conformance.json" --markdown "$report/conformance.md"
    local quick=()
    [ "${GPU_CHECK_QUICK:-0}" = 1 ] && quick=(--quick)
    step bench 150 "$report/bench.txt" "$base/bin/seqrt-bench" --set deepbench,training "${quick[@]}" \
        --backend "$backend" --budget "$budget" --no-ort \
        --json "$report/bench.json" --markdown "$report/bench.md"
    local engine
    local path form shape name wg lanes units
    for engine in $(echo "${GPU_CHECK_ENGINES:-}" | tr ',' ' '); do
        # PATH[:FORM[:WG/LANES/UNITS]][@NAME=VALUE...]: the recurrent path,
        # the step kernels' form, the rows form's work-group, lanes and units
        # per group, then any SEQRT_OPENCL_NAME=VALUE (GRID_GROUPS=264)
        local spec=${engine%%@*} extra=()
        [ "$spec" != "$engine" ] && IFS=@ read -r -a extra <<<"${engine#*@}"
        extra=("${extra[@]/#/SEQRT_OPENCL_}")
        IFS=: read -r path form shape <<<"$spec"
        IFS=/ read -r wg lanes units <<<"$shape"
        name=$(echo "$engine" | tr ':/@=' '----')
        step "engine-$name" 60 "$report/engines-$name.txt" env SEQRT_OPENCL_RECURRENT="$path" \
            SEQRT_OPENCL_STEP_FORM="$form" SEQRT_OPENCL_STEP_ROWS_WG="$wg" SEQRT_OPENCL_STEP_ROWS_LANES="$lanes" \
            SEQRT_OPENCL_STEP_ROWS_UNITS="$units" "${extra[@]}" \
            "$base/bin/seqrt-bench" --set deepbench "${quick[@]}" --backend "$backend" --budget 0.1 \
            --no-baselines --no-ort --json "$report/engines-$name.json" --markdown "$report/engines-$name.md"
    done
    if [ "${GPU_CHECK_STREAMS:-0}" = 1 ]; then
        local where
        for where in auto host; do
            step "generate-$where" 60 "$report/generate-$where.txt" env SEQRT_STREAM_STATE="$where" \
                "$base/bin/seqrt" generate "$root/examples/charlm/charlm.json" --backend "$backend" --tokens 2000 \
                --seed 1 --verbose
        done
        step streams 60 "$report/streams.txt" "$base/bin/seqrt-bench" --streams 32 --backend "$backend" \
            --model "$root/examples/charlm/charlm.json"
    fi
    rm -rf "$report/.pack"
    echo "gpu_check: reports in $report"
    return "$failed"
}

case "$cmd" in
    pack) pack "$@" ;;
    run) run "$@" ;;
    *) awk 'NR > 1 && !/^#/ {exit} NR > 1' "$0" | sed 's/^# \{0,1\}//'; [ "$cmd" = -h ] || [ "$cmd" = --help ] ;;
esac

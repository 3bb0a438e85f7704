#!/bin/sh
# Refreshes bench/results/ with results from this machine: the seeds set and
# the scaling sweep (JSON, CSV, SVG, Markdown, console text), machine.md
# (CPU, memory, OS, package versions) and README.md (the tables).
#
#   bench/results/refresh.sh [extra seqrt-bench options, e.g. --threads 1]
#
# Environment: SEQRT_BENCH (default build/bin/seqrt-bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${SEQRT_BENCH:-$root/build/bin/seqrt-bench}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
[ -x "$bin" ] || { echo "refresh.sh: $bin not found: build first (cmake --build build)" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$here"   # relative names: the command recorded in the outputs has no local paths
"$bin" --set seeds "$@" --json seeds.json --csv seeds.csv --svg seeds.svg --markdown seeds.md > seeds.txt
"$bin" --scaling "$@" --json scaling.json --csv scaling.csv --svg scaling.svg --markdown scaling.md > scaling.txt
# the CPU backend against its targets: the issue's shapes and DeepBench's small batches
"$bin" --set peers,deepbench --backend reference,onednn "$@" \
    --json cpu.json --csv cpu.csv --svg cpu.svg --markdown cpu.md > cpu.txt

ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }
{
    echo "# The machine behind these results"
    echo
    echo "Measured $(date -u +%Y-%m-%d) at commit \`$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')\`"
    echo "(plus the working tree of that day), with \`seqrt-bench $*\`, niceness $(nice)."
    echo "Load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| what | value |"
    echo "|---|---|"
    echo "| CPU | $(lscpu | sed -n 's/^Model name: *//p' | head -1) (family $(lscpu | sed -n 's/^CPU family: *//p'), model $(lscpu | sed -n 's/^Model: *//p')), $(nproc) CPUs, $(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core, BogoMIPS $(lscpu | sed -n 's/^BogoMIPS: *//p')$(grep -q -w hypervisor /proc/cpuinfo && echo ', virtual machine (hypervisor flag)') |"
    echo "| ISA | $(grep -o -w -E 'avx2|avx512f|avx512_bf16|avx512_vnni|fma' /proc/cpuinfo | sort -u | tr '\n' ' ') |"
    echo "| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
    echo "| OS | $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r) |"
    echo "| compiler | $(cc --version | head -1) |"
    echo "| oneDNN | libdnnl2 $(ver libdnnl2) |"
    echo "| CLBlast | libclblast1 $(ver libclblast1) |"
    echo "| OpenCL | ocl-icd-libopencl1 $(ver ocl-icd-libopencl1), PoCL $(ver libpocl2) |"
    echo "| ONNX Runtime | $(node "$root/bench/ort/ort_lstm.js" --version 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p' || true) |"
    echo "| node | $(node --version 2>/dev/null || echo 'not installed') |"
    echo
    echo "The machine is shared with other jobs (builds and tests of other work run"
    echo "beside the benchmark): absolute times move from run to run; the ratio"
    echo "columns, whose series took turns within each case (--rounds), are the"
    echo "numbers to compare."
} > "$here/machine.md"

{
    echo "# seqrt-bench results"
    echo
    echo "From the machine described in [machine.md](machine.md); how to read the"
    echo "columns: [docs/bench.md](../../docs/bench.md). Refresh with"
    echo "\`bench/results/refresh.sh\` when a backend's speed changes."
    echo
    echo "## Seeds (\`seqrt-bench --set seeds\`)"
    echo
    echo "![GFLOP/s per case](seeds.svg)"
    echo
    cat "$here/seeds.md"
    echo
    echo "## CPU targets (\`seqrt-bench --set peers,deepbench --backend reference,onednn\`)"
    echo
    echo "The oneDNN backend on the shapes of its performance target and on"
    echo "DeepBench's inference shapes (B = 1, 2, 4), beside oneDNN's LSTM primitive"
    echo "and ONNX Runtime's LSTM; \`cifg_*\` is a coupled-gate LSTM timed against"
    echo "the vanilla baselines."
    echo
    echo "![GFLOP/s per case](cpu.svg)"
    echo
    cat "$here/cpu.md"
    echo
    echo "## Scaling (\`seqrt-bench --scaling\`)"
    echo
    echo "![time against T, B, H](scaling.svg)"
    echo
    echo "Fitted exponents (ms ∝ size^k) and the points, from [scaling.txt](scaling.txt):"
    echo
    echo '```'
    sed -n '/^scaling in/,$p' "$here/scaling.txt"
    echo '```'
    echo
    echo "Raw data: [seeds.json](seeds.json), [seeds.csv](seeds.csv), [cpu.json](cpu.json), [cpu.csv](cpu.csv),"
    echo "[scaling.json](scaling.json), [scaling.csv](scaling.csv); console tables: [seeds.txt](seeds.txt),"
    echo "[cpu.txt](cpu.txt), [scaling.txt](scaling.txt)."
} > "$here/README.md"
echo "refresh.sh: wrote $here"

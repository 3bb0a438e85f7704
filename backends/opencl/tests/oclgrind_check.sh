#!/bin/sh
# Runs small recurrent models on each recurrent path under Oclgrind
# (--data-races --uninitialized --check-api) and fails on any finding in
# seqrt's own kernels (sq_*) or any OpenCL API error; findings inside
# CLBlast's kernels are listed, not failed on (not seqrt's code).
#   oclgrind_check.sh SEQRT_CLI SHIM GOLDEN_DIR
# SHIM (oclgrind_shim.c) works around two limitations of Oclgrind's
# uninitialized-value checker. Skips (77) when oclgrind is not installed.
set -u
cli=$1 shim=$2 golden=$3
if ! command -v oclgrind >/dev/null 2>&1; then
    echo "skipped: oclgrind is not installed (apt-get install oclgrind; tools/install_deps.sh does)"
    exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/seqrt_oclgrind_XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
fail=0
# path[:form]: the step kernels in both forms (SEQRT_OPENCL_STEP_FORM);
# grid:gN[:sM]: the grid kernel on N work-groups (SEQRT_OPENCL_GRID_GROUPS;
# Oclgrind runs work-groups concurrently, so its barriers complete) polling
# a barrier up to M times (SEQRT_OPENCL_GRID_SPIN, default 10^6; s1 makes it
# give up and hand the steps to the step kernels)
for mode in gemm step:units step:rows persistent grid:g1 grid:g2 grid:g2:s1; do
    path=${mode%%:*} form= groups= spin=
    case $mode in
        grid:*)
            groups=${mode#grid:g}; groups=${groups%%:*}; spin=1000000
            case $mode in *:s*) spin=${mode##*:s} ;; esac ;;
        *:*) form=${mode#*:} ;;
    esac
    for case in lstm_peephole_coupled_proj_bidir2_lengths_h0 gru_lbr_false_bidir2_lengths_h0 \
                gru_bidir2_lengths_h0 rnn_relu_bidir2_lengths_h0; do
        g=$golden/$case
        set --
        for f in "$g"/input.*.npy; do
            n=$(basename "$f" .npy)
            set -- "$@" --input "${n#input.}=$f"
        done
        log=$out/$case.$(echo "$mode" | tr ':' '_').log
        SEQRT_OPENCL_RECURRENT=$path SEQRT_OPENCL_STEP_FORM=$form SEQRT_OPENCL_GRID_GROUPS=$groups \
            SEQRT_OPENCL_GRID_SPIN=$spin oclgrind --data-races --uninitialized --check-api \
            sh -c 'LD_PRELOAD="$0${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"' "$shim" \
            "$cli" run "$g/model.json" "$@" --backend opencl --output-dir "$out" >"$log" 2>&1
        rc=$?
        ours=$(grep -c 'Kernel: sq_' "$log")
        api=$(grep -c 'OpenCL runtime error' "$log")
        other=$(grep -c 'Kernel: ' "$log")
        if [ "$rc" -ne 0 ] || [ "$ours" -ne 0 ] || [ "$api" -ne 0 ]; then
            echo "FAIL $case ($mode): exit $rc, $ours finding(s) in seqrt's kernels, $api API error(s):"
            head -60 "$log"
            fail=1
        elif [ "$other" -ne 0 ]; then
            echo "ok   $case ($mode): none in seqrt's kernels; $other in other kernels:"
            grep 'Kernel: ' "$log" | sort | uniq -c
        else
            echo "ok   $case ($mode): no findings"
        fi
    done
done
exit $fail

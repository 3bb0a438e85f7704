#!/usr/bin/env bash
# Reliability CI (issue 7; docs/reliability.md). Four steps, each fatal:
#
#   1. ASan + UBSan: configures build-asan with -DSEQRT_SANITIZE=ON (the
#      default compiler, or CC), builds everything and runs the whole ctest
#      suite in it.
#   2. Fuzz smoke: every libFuzzer target for SEQRT_FUZZ_SECONDS in all
#      (default 60, split evenly), from the committed corpora. The fuzzers
#      come from build-asan when it was configured with clang, else from
#      build-fuzz (clang; only the fuzz targets are built). Without clang
#      the step is skipped with a note.
#   3. valgrind memcheck over `seqrt run` (the ordinary build, build/ or
#      $SEQRT_BUILD_DIR) on 18 golden models and one streamed (--chunk) run
#      of the core and the reference backend alone, then one run with the
#      backend modules loaded: any error or any definite, indirect or
#      possible leak fails.
#   4. ThreadSanitizer: build-tsan (clang, -fsanitize=thread), the
#      concurrency test with SEQRT_TSAN_RUNS runs per thread (default 500)
#      on every backend module of that tree, one OpenMP thread each, and the
#      stream pool's threads test (test_stream_pool_threads).
#
# Environment: SEQRT_ASAN_DIR, SEQRT_FUZZ_DIR, SEQRT_TSAN_DIR, SEQRT_BUILD_DIR (build
# trees), SEQRT_ASAN_CTEST_ARGS (extra ctest arguments), SEQRT_FUZZ_SECONDS,
# SEQRT_TSAN_RUNS, SEQRT_VALGRIND_BACKENDS, SEQRT_CI_STEPS (default
# "asan fuzz valgrind tsan": a subset runs only those steps).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
asan=${SEQRT_ASAN_DIR:-$root/build-asan}
tsan=${SEQRT_TSAN_DIR:-$root/build-tsan}
build=${SEQRT_BUILD_DIR:-$root/build}
steps=${SEQRT_CI_STEPS:-asan fuzz valgrind tsan}
have_clang=0
command -v clang >/dev/null 2>&1 && have_clang=1
work=$(mktemp -d "${TMPDIR:-/tmp}/seqrt-ci-XXXXXX")
trap 'rm -rf "$work"' EXIT
t_all=$SECONDS

step() { printf '\n== %s\n' "$*"; }
want() { case " $steps " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
elapsed() { echo "   ($(( SECONDS - $1 )) s)"; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# use_tls=0: gcc 12's LeakSanitizer crashes ("Tracer caught signal 11")
# scanning the dynamic TLS of threads that a dlopen'ed runtime (oneDNN)
# started. Not scanning TLS can only add false leak reports, never hide a
# leak; tools/lsan.supp lists the one glibc keeps in TLS.
export LSAN_OPTIONS=${LSAN_OPTIONS:-use_tls=0:print_suppressions=0:suppressions=$root/tools/lsan.supp}

# The OpenCL runtime under the sanitizers is PoCL alone (the one
# tools/lsan.supp and tools/valgrind.supp know): another ICD installed on the
# machine (Mesa's rusticl or clover) would be loaded by every OpenCL process
# and report its own leaks, some from code it unloads (no frame to suppress).
if [ -z "${OCL_ICD_VENDORS:-}" ] && [ -f /etc/OpenCL/vendors/pocl.icd ]; then
  mkdir -p "$work/icd"
  cp /etc/OpenCL/vendors/pocl.icd "$work/icd/"
  export OCL_ICD_VENDORS=$work/icd
fi

# ------------------------------------------------------------ 1. ASan + UBSan
if want asan; then
  step "ASan + UBSan: build $asan, run the whole ctest suite"
  t0=$SECONDS
  cmake -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQRT_SANITIZE=ON >/dev/null
  cmake --build "$asan" -j"$jobs" >/dev/null
  # The golden sweeps on the backend modules (test_goldens on every device,
  # repeated per OpenCL vendor profile and per oneDNN mode) take 4 to 15+
  # minutes each under ASan (PoCL compiles every kernel through the
  # sanitizer's allocator): by default the sweep runs on the reference only
  # and the repeats are left to the ordinary build. The modules still run
  # under ASan in their own unit tests (test_onednn, test_opencl_unit), the
  # conformance suite and the fault-injection and concurrency tests.
  # SEQRT_ASAN_FULL=1 runs everything; SEQRT_ASAN_CTEST_ARGS adds ctest
  # arguments.
  # The install and package tests (install_prefix, install_deb) check
  # layout and packaging, not memory, and run Python: they stay in the
  # ordinary build, like the Python tests, whose interpreter is not
  # instrumented (ASan must be the first library of the process).
  # Oclgrind and rusticl runs check kernels, not host memory, and load
  # their own LLVM (Oclgrind preloads a shim, which ASan must precede): they
  # stay in the ordinary build too.
  asan_args=(-E '^(install_|python_|opencl_oclgrind|.*_rusticl$)')
  if [ "${SEQRT_ASAN_FULL:-0}" != 1 ]; then
    asan_args=(-E '^(goldens_opencl_|conformance_opencl_|onednn_goldens_|install_|python_|opencl_oclgrind|.*_rusticl$)')
    export SEQRT_TEST_BACKENDS=${SEQRT_TEST_BACKENDS:-reference}
  fi
  # shellcheck disable=SC2086
  ctest --test-dir "$asan" --output-on-failure -j"$jobs" "${asan_args[@]}" ${SEQRT_ASAN_CTEST_ARGS:-}
  elapsed $t0
fi

# ------------------------------------------------------------ 2. fuzz smoke
if want fuzz; then
  step "fuzz smoke: ${SEQRT_FUZZ_SECONDS:-60} s over the libFuzzer targets"
  t0=$SECONDS
  fuzzbuild=
  if [ -x "$asan/bin/fuzz_npy" ]; then
    fuzzbuild=$asan
  elif [ $have_clang = 1 ]; then
    fuzzbuild=${SEQRT_FUZZ_DIR:-$root/build-fuzz}
    cmake -S "$root" -B "$fuzzbuild" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_C_FLAGS=-Wno-unknown-warning-option >/dev/null
    cmake --build "$fuzzbuild" -j"$jobs" --target fuzz_description fuzz_graph fuzz_safetensors fuzz_npy >/dev/null
  fi
  if [ -z "$fuzzbuild" ]; then
    echo "ci_sanitize.sh: no clang, so no fuzzers (tools/install_deps.sh --ci installs it)" >&2
    exit 1
  else
    targets=(description graph safetensors npy)
    each=$(( ${SEQRT_FUZZ_SECONDS:-60} / ${#targets[@]} ))
    [ "$each" -ge 1 ] || each=1
    for t in "${targets[@]}"; do
      bash "$root/conformance/fuzz/run_fuzz.sh" "$fuzzbuild" "$t" "$each" "$work/fuzz"
    done
  fi
  elapsed $t0
fi

# ------------------------------------------------------------ 3. valgrind
# The strict runs see the core and the reference backend alone: libseqrt is
# copied into an empty directory found first through LD_LIBRARY_PATH, so the
# registry finds no backend module beside it. One more run loads the
# modules of the build (OpenCL ICD, PoCL, oneDNN) with tools/valgrind.supp
# for those runtimes' own reports; SEQRT_VALGRIND_BACKENDS (e.g. "onednn")
# adds runs on those backends, with the suppressions.
if want valgrind; then
  step "valgrind memcheck over seqrt run ($build)"
  t0=$SECONDS
  command -v valgrind >/dev/null 2>&1 || { echo "ci_sanitize.sh: valgrind is not installed" >&2; exit 1; }
  if [ ! -x "$build/bin/seqrt" ]; then SEQRT_BUILD_DIR=$build bash "$root/tools/build.sh"; fi
  mkdir -p "$work/corelib"
  cp -a "$build"/lib/libseqrt.so* "$work/corelib/"
  cases=(charlm_embedding_lstm_linear charlm_int64_ids lstm_peephole_coupled_proj_bidir2_lengths_h0
         lstm_2layer_h0 gru_lbr_false_bidir2_lengths_h0 rnn_relu_bidir2_lengths_h0
         attention_additive_seqq_lengths attention_general_vecq_lengths text_classifier_attention_pool
         mha_cross_lengths mha_causal_batch_first luong_encoder_decoder_batch_first concat_axis0
         select_hn_bidir2 onehot_lstm_linear bilstm_last_step_mean_pool_lengths_batch_first
         log_softmax_axis1 activation_gelu)
  vg=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
      --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible
      --track-origins=yes)
  failed=0 runs=0
  vgrun() { # mode (core | modules), backend, name, seqrt arguments...
    local mode=$1 backend=$2 name=$3 log=$work/vg-$runs.log rc=0
    shift 3
    local env=() extra=()
    if [ "$mode" = core ]; then env=(env "LD_LIBRARY_PATH=$work/corelib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    else extra=(--suppressions="$root/tools/valgrind.supp"); fi
    mkdir -p "$work/out-$runs"
    "${env[@]}" "${vg[@]}" "${extra[@]}" --log-file="$log" "$build/bin/seqrt" run "$@" \
      --output-dir "$work/out-$runs" --backend "$backend" >/dev/null 2>"$log.stderr" || rc=$?
    local summary heap leaks
    summary=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: //p' "$log" | tail -1)
    heap=$(sed -n 's/^==[0-9]*==   total heap usage: //p' "$log" | tail -1)
    leaks=$(grep -q "All heap blocks were freed" "$log" && echo "no leaks possible" ||
            sed -n 's/^==[0-9]*==    definitely lost: /definitely lost /p' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
      echo "   FAIL [$mode, $backend] $name: exit $rc; $summary"
      sed -n '1,80p' "$log" "$log.stderr"
      failed=$((failed + 1))
    else
      echo "   ok   [$mode, $backend] $name: $summary; $heap; $leaks"
    fi
    runs=$((runs + 1))
  }
  case_args() { # case -> model.json --input NAME=FILE ...
    local d=$root/conformance/data/golden/$1 f n
    printf '%s\n' "$d/model.json"
    for f in "$d"/input.*.npy; do n=$(basename "$f" .npy); printf '%s\n%s\n' --input "${n#input.}=$f"; done
  }
  for c in "${cases[@]}"; do
    mapfile -t args < <(case_args "$c")
    vgrun core reference "$c" "${args[@]}"
  done
  mapfile -t args < <(case_args charlm_embedding_lstm_linear)
  vgrun core reference "charlm_embedding_lstm_linear --chunk 3" "${args[@]}" --chunk 3
  vgrun modules reference "charlm_embedding_lstm_linear (modules loaded)" "${args[@]}"
  for b in ${SEQRT_VALGRIND_BACKENDS:-}; do
    vgrun modules "$b" "charlm_embedding_lstm_linear" "${args[@]}"
  done
  echo "   valgrind: $runs runs, $failed with errors or leaks"
  [ $failed -eq 0 ] || exit 1
  elapsed $t0
fi

# ------------------------------------------------------------ 4. TSan
if want tsan; then
  step "ThreadSanitizer: $tsan, test_concurrency"
  t0=$SECONDS
  if [ $have_clang = 0 ]; then
    echo "ci_sanitize.sh: no clang, so no ThreadSanitizer build (tools/install_deps.sh --ci installs it)" >&2
    exit 1
  else
    f=-fsanitize=thread
    cmake -S "$root" -B "$tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      "-DCMAKE_C_FLAGS=$f -fno-omit-frame-pointer -Wno-unknown-warning-option" "-DCMAKE_EXE_LINKER_FLAGS=$f" \
      "-DCMAKE_SHARED_LINKER_FLAGS=$f" "-DCMAKE_MODULE_LINKER_FLAGS=$f" -DSEQRT_FUZZERS=OFF >/dev/null
    # the backend modules too, instrumented, loaded from this tree
    cmake --build "$tsan" --target help >"$work/tsan-targets"
    mods=()
    for m in seqrt-onednn seqrt-opencl; do
      grep -qw -- "$m" "$work/tsan-targets" && mods+=("$m")
    done
    cmake --build "$tsan" -j"$jobs" --target test_concurrency test_stream_pool_threads "${mods[@]}" >/dev/null
    moddir=$tsan/lib/seqrt-$(sed -n 's/^#define SEQRT_VERSION_MAJOR \([0-9]*\).*/\1/p' "$root/api/seqrt.h")
    for m in "${mods[@]}"; do
      [ -f "$moddir/lib$m.so" ] || { echo "ci_sanitize.sh: $moddir/lib$m.so was not built" >&2; exit 1; }
    done
    # OMP_NUM_THREADS=1: the OpenMP runtime is not instrumented, so TSan
    # cannot see its fork/join barriers and would report every access of
    # a parallel region's workers; the 8 application threads, each with
    # its own sessions over shared models, are what this step checks.
    # tools/tsan.supp: the runtime's own bookkeeping (see the file).
    OMP_NUM_THREADS=1 SEQRT_BACKEND_PATH="$moddir" \
      TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tools/tsan.supp} \
      SEQRT_CONCURRENCY_RUNS=${SEQRT_TSAN_RUNS:-500} "$tsan/bin/test_concurrency"
    # one stream pool shared by 4 threads (docs/streams.md)
    OMP_NUM_THREADS=1 SEQRT_BACKEND_PATH="$moddir" \
      TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tools/tsan.supp} \
      "$tsan/bin/test_stream_pool_threads"
  fi
  elapsed $t0
fi

step "ci_sanitize.sh: all steps passed in $(( SECONDS - t_all )) s"

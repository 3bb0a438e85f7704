#!/usr/bin/env bash
# An installed seqrt, as a new user gets it from the source tree:
#
#   tests/install_test.sh BUILD_DIR REPO_ROOT NPY_ALLCLOSE BACKENDS
#
# 1. `cmake --install BUILD_DIR --prefix P` into a fresh prefix;
# 2. the installed tree works with no environment variables set
#    (tests/installed_checks.sh: backends, a golden run on each backend,
#    seqrt-conformance with the installed goldens, import seqrt), and again
#    after the prefix is moved elsewhere (every path in it is relative);
# 3. examples/consumer builds against P with find_package(seqrt 0.3) and
#    with pkg-config, and runs; find_package(seqrt 0.2) is refused;
#    <seqrt/backend.h> compiles for a third-party module;
# 4. `pip install ./python` offline into a venv gives an importable seqrt
#    that runs a golden case through $SEQRT_LIBRARY.
# BACKENDS: comma list of the backends that were built (reference,onednn,...).
set -u
[ $# -eq 4 ] || { echo "usage: $0 BUILD_DIR REPO_ROOT NPY_ALLCLOSE BACKENDS" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
REPO=$(cd "$2" && pwd) || exit 2
ALLCLOSE=$3
BACKENDS=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seqrt-install-test.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
source "$REPO/tests/installed_checks.sh"

P=$WORK/prefix
cmake --install "$BUILD" --prefix "$P" >"$WORK/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$WORK/install.log")"
libdir=$(cd "$P" && ls -d lib*/libseqrt.so.0 lib/*/libseqrt.so.0 2>/dev/null | head -1)
[ -n "$libdir" ] || fail "no libseqrt.so.0 under $P/lib*"
libdir=$P/$(dirname "$libdir")
for f in "$libdir/libseqrt.so" "$libdir/libseqrt.so.0" "$P/include/seqrt.h" "$P/include/seqrt/backend.h" \
         "$libdir/pkgconfig/seqrt.pc" "$libdir/cmake/seqrt/seqrtConfig.cmake" "$P/bin/seqrt" \
         "$P/bin/seqrt-conformance" "$P/bin/seqrt-bench"; do
    [ -e "$f" ] || fail "install lacks $f"
done
[ "$(readlink "$libdir/libseqrt.so")" = libseqrt.so.0 ] || fail "libseqrt.so does not link to libseqrt.so.0"
readelf -d "$P/bin/seqrt" | grep -q 'RUNPATH.*\$ORIGIN' || fail "bin/seqrt has no \$ORIGIN RUNPATH"
ok "cmake --install: library with SONAME links, headers, CMake and pkg-config files, programs with RUNPATH"

pydir=$P/lib/python3/dist-packages
check_tree "$P/bin" "$libdir/seqrt-0" "$pydir" "$P/share/seqrt/conformance/golden"

# A moved prefix: every path inside is relative.
mv "$P" "$WORK/moved"
P=$WORK/moved libdir=$WORK/moved/${libdir#"$WORK/prefix/"} pydir=$WORK/moved/lib/python3/dist-packages
check_tree "$P/bin" "$libdir/seqrt-0" "$pydir" "$P/share/seqrt/conformance/golden"
ok "the moved prefix works as installed"

# A broken install: the module directory empty, then gone. Each backend
# module says where it looked and what it found; asking for one fails with
# that reason (exit 1), never falling back to another backend.
B=$WORK/broken
cp -a "$P" "$B"
bmod=$B/${libdir#"$P/"}/seqrt-0
rm -f "$bmod"/libseqrt-*.so
case=$REPO/conformance/data/golden/$GOLDEN_CASE
for state in "no seqrt module in it" "no such directory"; do
    out=$(run_clean "$B/bin/seqrt" backends 2>&1)
    grep -q "module libseqrt-onednn.so not found (searched: $bmod ($state)" <<<"$out" \
        || fail "seqrt backends with a broken module directory ($state): $out"
    rc=0
    rm -rf "$WORK/none" && mkdir "$WORK/none"
    err=$(run_clean "$B/bin/seqrt" run "$case/model.json" --backend onednn --output-dir "$WORK/none" \
        --input x="$case/input.x.npy" --input h0="$case/input.h0.npy" --input c0="$case/input.c0.npy" 2>&1) || rc=$?
    [ "$rc" -eq 1 ] && grep -q "backend 'onednn' (argument) is unavailable: module libseqrt-onednn.so not found" <<<"$err" \
        || fail "seqrt run --backend onednn with $state: exit $rc: $err"
    [ -z "$(ls -A "$WORK/none")" ] || fail "a failed run left files: $(ls -A "$WORK/none")"
    out=$(run_clean env PYTHONPATH="$B/lib/python3/dist-packages" /usr/bin/python3 -c '
import seqrt
m = seqrt.Model(__import__("sys").argv[1])
try:
    seqrt.Session(m, device="onednn")
except seqrt.UnavailableError as e:
    print("UnavailableError:", e)
' "$case/model.json" 2>&1)
    grep -q "UnavailableError: .*module libseqrt-onednn.so not found" <<<"$out" || fail "python with $state: $out"
    if [ -d "$bmod" ]; then rmdir "$bmod"; fi
done
ok "a broken install names the module directory and what is wrong with it (CLI exit 1, seqrt.UnavailableError)"

# A consumer with find_package(seqrt 0.3), then with pkg-config.
charlm=$REPO/examples/charlm
cmake -S "$REPO/examples/consumer" -B "$WORK/consumer" -DCMAKE_PREFIX_PATH="$P" >"$WORK/c1.log" 2>&1 \
    || fail "find_package(seqrt 0.3): $(tail -20 "$WORK/c1.log")"
cmake --build "$WORK/consumer" >>"$WORK/c1.log" 2>&1 || fail "consumer build: $(tail -20 "$WORK/c1.log")"
out=$(run_clean "$WORK/consumer/consumer" "$charlm/charlm.json" "$charlm/prompt.npy" 2>&1) \
    || fail "consumer (find_package) run: $out"
grep -q "output probs: \[" <<<"$out" || fail "consumer (find_package) printed: $out"
for b in ${BACKENDS//,/ }; do grep -q "^backend $b: available" <<<"$out" || fail "consumer sees no $b: $out"; done
ok "examples/consumer with find_package(seqrt 0.3): $(tail -1 <<<"$out")"

mkdir -p "$WORK/old"
printf 'cmake_minimum_required(VERSION 3.18)\nproject(old LANGUAGES C)\nfind_package(seqrt 0.2 REQUIRED)\n' \
    >"$WORK/old/CMakeLists.txt"
if cmake -S "$WORK/old" -B "$WORK/old/b" -DCMAKE_PREFIX_PATH="$P" >"$WORK/old.log" 2>&1; then
    fail "find_package(seqrt 0.2) accepted this seqrt (0.x minors are incompatible)"
fi
grep -q "0.2" "$WORK/old.log" || fail "find_package(seqrt 0.2) failed without naming the version: $(tail "$WORK/old.log")"
ok "find_package(seqrt 0.2) is refused (the version file says why)"

export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs seqrt) || fail "pkg-config seqrt failed"
pclib=$(pkg-config --variable=libdir seqrt)
[ "$(cd "$pclib" && pwd -P)" = "$(cd "$libdir" && pwd -P)" ] || fail "seqrt.pc libdir $pclib is not $libdir"
# shellcheck disable=SC2086
cc -o "$WORK/consumer-pc" "$REPO/examples/consumer/consumer.c" $flags -Wl,-rpath,"$pclib" 2>"$WORK/pc.log" \
    || fail "cc with pkg-config --cflags --libs seqrt: $(cat "$WORK/pc.log")"
out=$(run_clean "$WORK/consumer-pc" "$charlm/charlm.json" "$charlm/prompt.npy" 2>&1) || fail "consumer (pkg-config): $out"
grep -q "output probs: \[" <<<"$out" || fail "consumer (pkg-config) printed: $out"
printf '#include <seqrt/backend.h>\nseqrt_status seqrt_backend_module_init(int abi, sq_backend *b) { (void)abi; (void)b; return SEQRT_OK; }\n' \
    >"$WORK/module.c"
# shellcheck disable=SC2086
cc -c -Wall -Werror -o "$WORK/module.o" "$WORK/module.c" $(pkg-config --cflags seqrt) 2>"$WORK/mod.log" \
    || fail "a module including <seqrt/backend.h> does not compile: $(cat "$WORK/mod.log")"
unset PKG_CONFIG_PATH
ok "cc \$(pkg-config --cflags --libs seqrt): consumer runs; <seqrt/backend.h> compiles"

# pip install ./python, offline, into a venv that sees Debian's numpy.
cp -r "$REPO/python" "$WORK/pysrc"
rm -rf "$WORK/pysrc/tests"
/usr/bin/python3 -m venv --system-site-packages "$WORK/venv" >"$WORK/venv.log" 2>&1 || fail "venv: $(cat "$WORK/venv.log")"
"$WORK/venv/bin/pip" install --no-index --no-build-isolation --no-deps "$WORK/pysrc" >"$WORK/pip.log" 2>&1 \
    || fail "pip install ./python: $(tail -20 "$WORK/pip.log")"
case=$REPO/conformance/data/golden/$GOLDEN_CASE
out=$(cd "$WORK" && run_clean env SEQRT_LIBRARY="$libdir/libseqrt.so.0" "$WORK/venv/bin/python" -c '
import os, sys, numpy as np, seqrt
case = sys.argv[1]
assert "/venv/" in seqrt.__file__, seqrt.__file__
m = seqrt.Model(case + "/model.json")
out = seqrt.Session(m, device="reference").run({s.name: np.load(f"{case}/input.{s.name}.npy") for s in m.inputs})
want = np.load(case + "/expected.rnn.npy")
assert np.allclose(out["rnn"], want, atol=1e-4, rtol=1e-3)
print(seqrt.__version__, seqrt.__file__)' "$case" 2>&1) || fail "pip-installed seqrt: $out"
ok "pip install ./python (offline venv): seqrt $out"

echo "$PASSED passed, 0 failed"

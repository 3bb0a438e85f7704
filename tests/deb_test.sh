#!/usr/bin/env bash
# The Debian packages (cmake/packaging.cmake):
#
#   tests/deb_test.sh [--system] BUILD_DIR REPO_ROOT NPY_ALLCLOSE BACKENDS
#
# 1. cpack builds one .deb per package into a scratch directory;
# 2. each holds what it should (the library alone in libseqrt0, headers
#    and the CMake/pkg-config files in libseqrt-dev, ...) and depends on
#    what it should: only the OpenCL module (and seqrt-bench, which links
#    CLBlast for its baseline) needs OpenCL, only the modules and the bench
#    oneDNN, so a machine without OpenCL installs the rest;
# 3. apt can install the set here (apt-get install --simulate resolves every
#    dependency against this machine's packages, changing nothing);
# 4. unpacked into a scratch root (dpkg -x), the tree passes the checks of
#    tests/installed_checks.sh: backends, a golden on each backend,
#    seqrt-conformance with the installed goldens, import seqrt.
# 5. --system (CI, as root; .ci/run): apt-get installs the packages for real,
#    the same checks run on /usr (import seqrt without PYTHONPATH, the
#    consumer built with the system's pkg-config), then apt-get purges them.
set -u
SYSTEM=0
if [ "${1:-}" = --system ]; then SYSTEM=1; shift; fi
[ $# -eq 4 ] || { echo "usage: $0 [--system] BUILD_DIR REPO_ROOT NPY_ALLCLOSE BACKENDS" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
REPO=$(cd "$2" && pwd) || exit 2
ALLCLOSE=$3
BACKENDS=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/seqrt-deb-test.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
source "$REPO/tests/installed_checks.sh"
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps is missing (install dpkg-dev)"

cpack --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkgs" >"$WORK/cpack.log" 2>&1 \
    || fail "cpack: $(tail -20 "$WORK/cpack.log")"
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $BUILD/CPackConfig.cmake"
pkgs=(libseqrt0 libseqrt-dev seqrt-tools python3-seqrt)
[ -x "$BUILD/bin/seqrt-bench" ] && pkgs+=(seqrt-bench)
for b in ${BACKENDS//,/ }; do [ "$b" = reference ] || pkgs+=("seqrt-backend-$b"); done
declare -A deb
for p in "${pkgs[@]}"; do
    f=$(ls "$WORK"/pkgs/"${p}_${version}"-*_*.deb 2>/dev/null | head -1)
    [ -n "$f" ] || fail "cpack made no $p package: $(ls "$WORK/pkgs")"
    deb[$p]=$f
done
ok "cpack: ${pkgs[*]} ($version)"

contents() { dpkg-deb -c "${deb[$1]}" | awk '{print $6}'; }
depends() { dpkg-deb -f "${deb[$1]}" Depends; }
has() { contents "$1" | grep -E "$2" >/dev/null || fail "$1 lacks $2"; }
lacks() { ! contents "$1" | grep -E "$2" >/dev/null || fail "$1 should not hold $2: $(contents "$1" | grep -E "$2")"; }
has libseqrt0 '^\./usr/lib/.*libseqrt\.so\.0$'
lacks libseqrt0 '\.h$|libseqrt\.so$|/bin/|seqrt-0/'
has libseqrt-dev '^\./usr/include/seqrt\.h$'
has libseqrt-dev '^\./usr/include/seqrt/backend\.h$'
has libseqrt-dev 'libseqrt\.so$'
has libseqrt-dev 'cmake/seqrt/seqrtConfig\.cmake$'
has libseqrt-dev 'pkgconfig/seqrt\.pc$'
has seqrt-tools '^\./usr/bin/seqrt$'
has seqrt-tools '^\./usr/bin/seqrt-conformance$'
has seqrt-tools '/usr/share/seqrt/conformance/golden/lstm_2layer_h0/case\.json$'
has python3-seqrt '/usr/lib/python3/dist-packages/seqrt/__init__\.py$'
has python3-seqrt '/usr/lib/python3/dist-packages/seqrt/_install\.py$'
lacks python3-seqrt '__pycache__|\.pyc$|/tests/'
for b in ${BACKENDS//,/ }; do [ "$b" = reference ] || has "seqrt-backend-$b" "/usr/lib/.*seqrt-0/libseqrt-$b\.so$"; done
ok "each package holds its own files"

for p in "${pkgs[@]}"; do
    d=$(depends "$p")
    [ "$p" = libseqrt0 ] || grep -q "libseqrt0 (= $version-" <<<"$d" || fail "$p does not depend on libseqrt0 (= $version): $d"
    case $p in
    seqrt-backend-opencl|seqrt-bench) ;;
    *) ! grep -Eqi 'opencl|clblast' <<<"$d" || fail "$p depends on OpenCL: $d" ;;
    esac
    case $p in
    seqrt-backend-onednn|seqrt-bench) ;;
    *) ! grep -q 'dnnl' <<<"$d" || fail "$p depends on oneDNN: $d" ;;
    esac
done
[ -z "${deb[seqrt-backend-opencl]:-}" ] || grep -q 'libclblast' <<<"$(depends seqrt-backend-opencl)" \
    || fail "seqrt-backend-opencl does not depend on CLBlast: $(depends seqrt-backend-opencl)"
[ -z "${deb[seqrt-backend-opencl]:-}" ] || grep -qi 'opencl' <<<"$(depends seqrt-backend-opencl)" \
    || fail "seqrt-backend-opencl does not depend on an OpenCL loader: $(depends seqrt-backend-opencl)"
[ -z "${deb[seqrt-backend-onednn]:-}" ] || grep -q 'libdnnl' <<<"$(depends seqrt-backend-onednn)" \
    || fail "seqrt-backend-onednn does not depend on oneDNN: $(depends seqrt-backend-onednn)"
grep -q 'libcjson' <<<"$(depends libseqrt0)" || fail "libseqrt0 does not depend on libcjson: $(depends libseqrt0)"
grep -q 'python3-numpy' <<<"$(depends python3-seqrt)" || fail "python3-seqrt does not depend on numpy"
ok "dependencies: OpenCL only for the OpenCL module and the bench; libseqrt0: $(depends libseqrt0)"

# apt resolves the whole set against this machine's packages (nothing is
# installed: --simulate).
apt-get install --simulate --no-install-recommends "${deb[@]}" >"$WORK/apt.log" 2>&1 \
    || fail "apt-get install --simulate: $(tail -20 "$WORK/apt.log")"
grep -q "^Inst libseqrt0 " "$WORK/apt.log" || fail "apt-get --simulate would not install libseqrt0: $(tail "$WORK/apt.log")"
ok "apt-get install --simulate resolves every dependency ($(grep -c '^Inst ' "$WORK/apt.log") packages)"

R=$WORK/root
for p in "${pkgs[@]}"; do dpkg -x "${deb[$p]}" "$R" || fail "dpkg -x ${deb[$p]}"; done
lib=$(cd "$R" && ls usr/lib/libseqrt.so.0 usr/lib/*/libseqrt.so.0 2>/dev/null | head -1)
[ -n "$lib" ] || fail "no libseqrt.so.0 in the unpacked root"
check_tree "$R/usr/bin" "$R/$(dirname "$lib")/seqrt-0" "$R/usr/lib/python3/dist-packages" \
    "$R/usr/share/seqrt/conformance/golden"

if [ "$SYSTEM" = 1 ]; then
    [ "$(id -u)" = 0 ] || fail "--system needs root (it runs apt-get install)"
    for p in "${pkgs[@]}"; do
        ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || fail "$p is installed already: --system wants a machine without seqrt's packages"
    done
    purge() { DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${pkgs[@]}" >/dev/null 2>&1; }
    trap 'purge; rm -rf "$WORK"' EXIT
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${deb[@]}" >"$WORK/apt-i.log" 2>&1 \
        || fail "apt-get install of the packages: $(tail -20 "$WORK/apt-i.log")"
    ok "apt-get install: ${pkgs[*]}"
    syslib=$(dpkg -L libseqrt0 | grep '/libseqrt\.so\.0$')
    check_tree /usr/bin "$(dirname "$syslib")/seqrt-0" /usr/lib/python3/dist-packages /usr/share/seqrt/conformance/golden
    out=$(cd / && run_clean /usr/bin/python3 -c 'import seqrt; print(seqrt.__file__, seqrt.library_path())' 2>&1) \
        || fail "import seqrt without PYTHONPATH: $out"
    grep -q "^/usr/lib/python3/dist-packages/seqrt/__init__.py " <<<"$out" || fail "import seqrt found $out"
    # shellcheck disable=SC2046
    cc -o "$WORK/consumer-sys" "$REPO/examples/consumer/consumer.c" $(pkg-config --cflags --libs seqrt) \
        2>"$WORK/cc.log" || fail "cc with the system's pkg-config seqrt: $(cat "$WORK/cc.log")"
    charlm=$REPO/examples/charlm
    out=$(run_clean "$WORK/consumer-sys" "$charlm/charlm.json" "$charlm/prompt.npy" 2>&1) || fail "consumer: $out"
    ok "installed system-wide: import seqrt from dist-packages, the consumer built with pkg-config runs"
    purge || fail "apt-get purge of the packages"
    trap 'rm -rf "$WORK"' EXIT
    [ ! -e /usr/bin/seqrt ] && [ ! -e "$syslib" ] || fail "apt-get purge left seqrt's files behind"
    ok "apt-get purge removes them"
fi

echo "$PASSED passed, 0 failed"

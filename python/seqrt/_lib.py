"""Finding and loading libseqrt, and the ctypes prototypes of every function
the package calls.

The library is loaded lazily, at the first call that needs it, so that
``import seqrt`` always works. Lookup order (first hit wins):

1. ``$SEQRT_LIBRARY``: a file path; when set, nothing else is tried;
2. ``seqrt/_install.py``'s ``LIBRARY`` (written by the CMake install), a path
   relative to the package directory;
3. the build tree: ``$SEQRT_BUILD_DIR/lib/libseqrt.so.0`` when that variable
   is set, then ``<repo>/build/lib/libseqrt.so.0`` when the package runs
   from the source tree (``python/seqrt`` -> ``../../build/lib``, used when
   ``../../api/seqrt.h`` exists);
4. ``libseqrt.so.0`` through the system loader (Debian package, ldconfig).

A candidate that does not exist or does not load is recorded and the next is
tried. The first that loads is the library: if its version's major.minor is
not the package's, or a symbol is missing, that is a LibraryError (no
further candidate is loaded: the backend modules bind to the first
``libseqrt.so.0`` in the process by its soname).

ctypes.CDLL (not PyDLL) releases the GIL during every call, so runs of
sessions in different threads run in parallel.
"""
import ctypes
import os
import threading

from . import errors
from ._version import __version__

SONAME = "libseqrt.so.0"
ABI = tuple(int(x) for x in __version__.split(".")[:2])  # the library's major.minor this package is written against
MAX_RANK = 6

_c_int, _c_size, _c_i64, _c_u64 = ctypes.c_int, ctypes.c_size_t, ctypes.c_int64, ctypes.c_uint64
_vp, _cp = ctypes.c_void_p, ctypes.c_char_p
_pvp = ctypes.POINTER(ctypes.c_void_p)


class LoadOptions(ctypes.Structure):
    _fields_ = [("strict", _c_int), ("weights_path", _cp)]


class SessionOptions(ctypes.Structure):
    _fields_ = [("streaming", _c_int), ("precision", ctypes.c_char_p)]  # seqrt.h: precision NULL = each layer its own


class LayerInfo(ctypes.Structure):
    _fields_ = [("name", _cp), ("op", _cp), ("shape", ctypes.c_char * 128),
                ("params", _c_u64), ("flops_per_step", _c_u64)]


class LayerAttr(ctypes.Structure):
    _fields_ = [("name", _cp), ("value", ctypes.c_char * 256), ("is_default", _c_int), ("since_minor", _c_int)]


class BackendInfo(ctypes.Structure):
    _fields_ = [("name", _cp), ("available", _c_int), ("reason", _cp), ("module", _cp),
                ("device_count", _c_size)]


class DeviceInfo(ctypes.Structure):
    _fields_ = [("backend", _cp), ("index", _c_size), ("name", _cp), ("description", _cp),
                ("vendor", _cp), ("driver", _cp), ("compute_units", _c_int),
                ("memory_bytes", _c_u64)]


_pi, _pi64 = ctypes.POINTER(_c_int), ctypes.POINTER(_c_i64)

# name: (restype, argtypes); restype None for void.
PROTOTYPES = {
    "seqrt_status_str": (_cp, [_c_int]),
    "seqrt_last_error": (_cp, []),
    "seqrt_version": (_cp, []),
    # tensors
    "seqrt_tensor_wrap": (_c_int, [_pvp, _c_int, _c_int, _pi64, _vp]),
    "seqrt_tensor_free": (None, [_vp]),
    "seqrt_tensor_rank": (_c_int, [_vp]),
    "seqrt_tensor_dim": (_c_i64, [_vp, _c_int]),
    "seqrt_tensor_count": (_c_size, [_vp]),
    "seqrt_tensor_data": (_vp, [_vp]),
    # models
    "seqrt_model_load": (_c_int, [_pvp, _cp, ctypes.POINTER(LoadOptions)]),
    "seqrt_model_free": (None, [_vp]),
    "seqrt_model_name": (_cp, [_vp]),
    "seqrt_model_metadata": (_cp, [_vp]),
    "seqrt_model_batch_first": (_c_int, [_vp]),
    "seqrt_model_input_count": (_c_size, [_vp]),
    "seqrt_model_input_name": (_cp, [_vp, _c_size]),
    "seqrt_model_input_dtype": (_c_int, [_vp, _c_size]),
    "seqrt_model_input_shape": (_c_int, [_vp, _c_size, _pi, _pi64, ctypes.c_char_p, _c_size]),
    "seqrt_model_input_time_axis": (_c_int, [_vp, _c_size]),
    "seqrt_model_output_count": (_c_size, [_vp]),
    "seqrt_model_output_name": (_cp, [_vp, _c_size]),
    "seqrt_model_output_time_axis": (_c_int, [_vp, _c_size]),
    "seqrt_model_output_shape": (_c_int, [_vp, _c_size, _pi, _pi64, ctypes.c_char_p, _c_size]),
    "seqrt_model_warning_count": (_c_size, [_vp]),
    "seqrt_model_warning": (_cp, [_vp, _c_size]),
    "seqrt_model_layer_count": (_c_size, [_vp]),
    "seqrt_model_layer_info": (_c_int, [_vp, _c_size, ctypes.POINTER(LayerInfo)]),
    "seqrt_model_layer_attr_count": (_c_size, [_vp, _c_size]),
    "seqrt_model_layer_attr": (_c_int, [_vp, _c_size, _c_size, ctypes.POINTER(LayerAttr)]),
    "seqrt_model_layer_gate_functions": (_c_int, [_vp, _c_size, ctypes.c_char_p, _c_size]),
    "seqrt_model_streamable": (_c_int, [_vp, ctypes.c_char_p, _c_size]),
    # registry
    "seqrt_backend_count": (_c_size, []),
    "seqrt_backend_get_info": (_c_int, [_c_size, ctypes.POINTER(BackendInfo)]),
    "seqrt_backend_get_device": (_c_int, [_pvp, _c_size, _c_size]),
    "seqrt_device_find": (_c_int, [_pvp, _cp]),
    "seqrt_device_get_info": (_c_int, [_vp, ctypes.POINTER(DeviceInfo)]),
    # sessions
    "seqrt_session_create": (_c_int, [_pvp, _vp, _vp, ctypes.POINTER(SessionOptions)]),
    "seqrt_session_free": (None, [_vp]),
    "seqrt_session_device": (_vp, [_vp]),
    "seqrt_session_run": (_c_int, [_vp, _pvp, _c_size]),
    "seqrt_session_output": (_c_int, [_vp, _c_size, _pvp]),
    "seqrt_session_bind_output": (_c_int, [_vp, _c_size, _vp]),
    "seqrt_session_reset": (_c_int, [_vp]),
}

_lock = threading.Lock()
_lib = None
_path = None


def _package_dir():
    return os.path.dirname(os.path.abspath(__file__))


def candidates():
    """[(label, path_or_name)] in lookup order; the first is final when
    $SEQRT_LIBRARY is set."""
    env = os.environ.get("SEQRT_LIBRARY")
    if env:
        return [("$SEQRT_LIBRARY", env)]
    out = []
    try:
        from . import _install  # written by the CMake install
        lib = getattr(_install, "LIBRARY", None)
        if lib:
            out.append(("install", os.path.normpath(os.path.join(_package_dir(), lib))))
    except ImportError:
        pass
    build = os.environ.get("SEQRT_BUILD_DIR")
    if build:
        out.append(("$SEQRT_BUILD_DIR", os.path.join(build, "lib", SONAME)))
    repo = os.path.normpath(os.path.join(_package_dir(), "..", ".."))
    if os.path.exists(os.path.join(repo, "api", "seqrt.h")):  # running from the source tree
        out.append(("source tree", os.path.join(repo, "build", "lib", SONAME)))
    out.append(("system loader", SONAME))
    return out


def _version_of(lib):
    f = lib.seqrt_version
    f.restype, f.argtypes = _cp, []
    return f().decode("ascii", "replace")


def _check_abi(lib, where):
    version = _version_of(lib)
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
    except ValueError:
        raise errors.LibraryError("%s: unreadable version '%s'" % (where, version)) from None
    if (major, minor) != ABI:
        raise errors.LibraryError(
            "%s is libseqrt %s; this package (seqrt %d.%d) needs libseqrt %d.%d.x "
            "(set SEQRT_LIBRARY to the right file)" % (where, version, ABI[0], ABI[1], ABI[0], ABI[1]))
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            f = getattr(lib, name)
        except AttributeError:
            raise errors.LibraryError("%s (libseqrt %s) lacks the symbol %s" % (where, version, name)) from None
        f.restype, f.argtypes = restype, argtypes


def _load():
    tried = []
    cands = candidates()
    final = cands[0][0] == "$SEQRT_LIBRARY"
    for label, path in cands:
        is_file = os.sep in path
        if is_file and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, label))
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, label, e))
            continue
        if not hasattr(lib, "seqrt_version"):
            tried.append("%s (%s): not libseqrt (no seqrt_version)" % (path, label))
            if final:
                break
            continue
        where = path if is_file else "%s (found by the system loader)" % path
        _check_abi(lib, where)
        loaded = path
        if not is_file:
            loaded = _loaded_path(lib) or path
        return lib, loaded
    raise errors.LibraryError("cannot load libseqrt; tried: " + "; ".join(tried) +
                              " (set SEQRT_LIBRARY to the path of libseqrt.so.0)")


def _loaded_path(lib):
    """The file the system loader picked, from /proc/self/maps."""
    try:
        addr = ctypes.cast(lib.seqrt_version, ctypes.c_void_p).value
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                if lo <= addr < hi and len(parts) >= 6:
                    return parts[5]
    except (OSError, ValueError):
        pass
    return None


def lib():
    """The loaded library (loads it at the first call)."""
    global _lib, _path
    if _lib is None:
        with _lock:
            if _lib is None:
                loaded, path = _load()
                _path = os.path.abspath(path) if os.sep in path else path
                _lib = loaded
    return _lib


def library_path():
    """Path of the loaded libseqrt (loads it if needed)."""
    lib()
    return _path


def version():
    """The C library's version string, "MAJOR.MINOR.PATCH"."""
    return lib().seqrt_version().decode("ascii", "replace")


def text(b):
    """A C string from the library as str ("" for NULL)."""
    return b.decode("utf-8", "replace") if b else ""


def last_error():
    return text(lib().seqrt_last_error())


def fail(status, prefix=""):
    """The exception for a failing status, with this thread's last error."""
    L = lib()
    message = text(L.seqrt_last_error()) or text(L.seqrt_status_str(status))
    return errors.error_for(status, prefix + message, text(L.seqrt_status_str(status)))


def check(status, prefix=""):
    """Raises the matching seqrt.Error when `status` is not SEQRT_OK. Call it
    right after the failing call, in the same thread."""
    if status:
        raise fail(status, prefix)

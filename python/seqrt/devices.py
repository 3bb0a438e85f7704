"""The registry: backends and their devices."""
import ctypes
from dataclasses import dataclass, field
from typing import List, Optional

from . import _lib, errors


@dataclass(frozen=True)
class Device:
    """One device of a backend. ``id`` is the spec that picks it
    ("onednn:0"); a backend with no device appears once with ``id`` = the
    backend name, ``index`` None, ``available`` False and the ``reason``."""
    id: str
    backend: str
    index: Optional[int]
    name: str = ""
    description: str = ""
    vendor: str = ""
    driver: str = ""
    compute_units: int = 0       # 0 if unknown
    memory_bytes: int = 0        # 0 if unknown
    available: bool = True
    reason: str = ""             # "" when available

    def __str__(self):
        return self.id


@dataclass(frozen=True)
class BackendInfo:
    """A backend: ``module`` is the shared module's path, "built-in" or ""."""
    name: str
    available: bool
    reason: str
    module: str
    devices: List[Device] = field(default_factory=list)


def _device_from(ptr, available=True, reason=""):
    L = _lib.lib()
    info = _lib.DeviceInfo()
    _lib.check(L.seqrt_device_get_info(ptr, ctypes.byref(info)))
    backend = _lib.text(info.backend)
    return Device(id="%s:%d" % (backend, info.index), backend=backend, index=int(info.index),
                  name=_lib.text(info.name), description=_lib.text(info.description),
                  vendor=_lib.text(info.vendor), driver=_lib.text(info.driver),
                  compute_units=int(info.compute_units), memory_bytes=int(info.memory_bytes),
                  available=available, reason=reason)


def backends():
    """Every backend the library knows, available or not (with the reason)."""
    L = _lib.lib()
    out = []
    for b in range(L.seqrt_backend_count()):
        info = _lib.BackendInfo()
        _lib.check(L.seqrt_backend_get_info(b, ctypes.byref(info)))
        name, available = _lib.text(info.name), bool(info.available)
        reason, devs = _lib.text(info.reason), []
        for d in range(info.device_count):
            ptr = ctypes.c_void_p()
            _lib.check(L.seqrt_backend_get_device(ctypes.byref(ptr), b, d))
            devs.append(_device_from(ptr, available, reason))
        if not devs:
            devs.append(Device(id=name, backend=name, index=None, available=False,
                               reason=reason or "backend '%s' has no device" % name))
        out.append(BackendInfo(name=name, available=available, reason=reason,
                               module=_lib.text(info.module), devices=devs))
    return out


def devices():
    """Every device of every backend; a backend without devices appears once,
    unavailable, with its reason."""
    return [d for b in backends() for d in b.devices]


def find(spec):
    """The seqrt_device pointer for a spec: None (-> NULL, i.e.
    $SEQRT_BACKEND / auto), a string ("onednn", "reference:0", "auto") or a
    Device."""
    if spec is None:
        return None
    if isinstance(spec, Device):
        spec = spec.id
    if not isinstance(spec, str):
        raise errors.InvalidArgumentError(
            "device must be None, a spec string such as 'onednn:0', or a seqrt.Device; got %s"
            % type(spec).__name__)
    L = _lib.lib()
    ptr = ctypes.c_void_p()
    _lib.check(L.seqrt_device_find(ctypes.byref(ptr), spec.encode("utf-8")))
    return ptr


__all__ = ["Device", "BackendInfo", "backends", "devices"]

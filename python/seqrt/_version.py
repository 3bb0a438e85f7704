# The package's version: the C library's (api/seqrt.h SEQRT_VERSION_*), which
# python/tests/test_introspection.py checks; the package loads only a
# library of the same MAJOR.MINOR.
__version__ = "0.3.0"

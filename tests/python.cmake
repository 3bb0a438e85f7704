# The Python package's tests (python/tests/), with Debian's interpreter and
# pytest, against this build's library ($SEQRT_LIBRARY) and modules. Four
# runs so ctest can spread them: the core API (goldens on every device,
# errors, threads, zero copy), the exporter/importer (seqrt.export,
# seqrt.onnx, its int8 forms), the tutorial models of examples/tutorials/ with
# seqrt.torch (exported and matched on every built device), and the ONNX
# importer's recurrent attributes and torch.onnx.export models on every
# built device (test_onnx_attrs.py, test_onnx_torch.py); and the tutorial
# models through torch.onnx.export and seqrt.onnx's recording path on every
# built device (test_onnx_tutorials.py). Bytecode and pytest's cache stay
# out of the source tree.
set(SEQRT_PYTHON /usr/bin/python3 CACHE FILEPATH "the Python that runs the Python package's tests")
set(_seqrt_py_env
  "PYTHONPATH=${CMAKE_SOURCE_DIR}/python"
  "SEQRT_LIBRARY=$<TARGET_FILE:seqrt>"
  "PYTHONDONTWRITEBYTECODE=1"
  "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/opencl-test-cache")
set(_seqrt_pytest ${SEQRT_PYTHON} -m pytest -q -p no:cacheprovider --rootdir=${CMAKE_SOURCE_DIR}/python)
add_test(NAME python_api
         COMMAND ${_seqrt_pytest} ${CMAKE_SOURCE_DIR}/python/tests
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_export.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_onnx.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_onnx_int8.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_onnx_attrs.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_onnx_torch.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_onnx_tutorials.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_tutorials.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_seqrt_torch.py
                 --ignore=${CMAKE_SOURCE_DIR}/python/tests/test_dask.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
add_test(NAME python_export
         COMMAND ${_seqrt_pytest} ${CMAKE_SOURCE_DIR}/python/tests/test_export.py
                 ${CMAKE_SOURCE_DIR}/python/tests/test_onnx.py
                 ${CMAKE_SOURCE_DIR}/python/tests/test_onnx_int8.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
add_test(NAME python_tutorials
         COMMAND ${_seqrt_pytest} ${CMAKE_SOURCE_DIR}/python/tests/test_tutorials.py
                 ${CMAKE_SOURCE_DIR}/python/tests/test_seqrt_torch.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
add_test(NAME python_onnx_attrs
         COMMAND ${_seqrt_pytest} ${CMAKE_SOURCE_DIR}/python/tests/test_onnx_attrs.py
                 ${CMAKE_SOURCE_DIR}/python/tests/test_onnx_torch.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
add_test(NAME python_onnx_tutorials
         COMMAND ${_seqrt_pytest} ${CMAKE_SOURCE_DIR}/python/tests/test_onnx_tutorials.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(python_api python_export python_tutorials python_onnx_attrs python_onnx_tutorials
                     PROPERTIES TIMEOUT 900 ENVIRONMENT "${_seqrt_py_env}")
set_tests_properties(python_api python_tutorials python_onnx_attrs python_onnx_tutorials
                     PROPERTIES RESOURCE_LOCK seqrt_opencl)
# seqrt.dask on a LocalCluster of 2 worker processes (127.0.0.1, no
# dashboard): goldens, single-process equality, a worker killed mid-job,
# bad items. About 20 s; the timeout bounds a cluster that never starts.
add_test(NAME python_dask
         COMMAND ${_seqrt_pytest} ${CMAKE_SOURCE_DIR}/python/tests/test_dask.py
         WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
set_tests_properties(python_dask PROPERTIES TIMEOUT 180 ENVIRONMENT "${_seqrt_py_env}")

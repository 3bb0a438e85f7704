# Debian packages with CPack's DEB generator, one per install component
# (install.cmake):  cpack --config build/CPackConfig.cmake -B build/packages
#
#   libseqrt0             the library and the reference backend
#   libseqrt-dev          headers, libseqrt.so, CMake and pkg-config packages
#   seqrt-tools           seqrt, seqrt-conformance (+ goldens)
#   seqrt-bench           seqrt-bench (apart: it links oneDNN and CLBlast itself
#                         for its baselines)
#   seqrt-backend-onednn  the oneDNN module (depends on oneDNN's runtime)
#   seqrt-backend-opencl  the OpenCL module (depends on the ICD loader, CLBlast)
#   python3-seqrt         the Python package (architecture all)
#
# Dependencies on Debian's libraries come from dpkg-shlibdeps; those between
# seqrt's own packages are exact versions. A machine without OpenCL installs
# every package but seqrt-backend-opencl, and `seqrt backends` says so.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME seqrt)
set(CPACK_PACKAGE_VENDOR "seqrt")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run LSTM and attention models on any hardware")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "seqrt developers <seqrt@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libseqrt.so.0 is found by dpkg-shlibdeps in the staged libseqrt0 tree;
# it is then covered by the explicit "libseqrt0 (= version)" below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
    ${PROJECT_BINARY_DIR}/lib)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")

set(_seqrt_exact "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(_seqrt_lib "libseqrt0 (= ${_seqrt_exact})")

set(CPACK_COMPONENTS_ALL libs dev tools)
if(TARGET seqrt-bench)
  list(APPEND CPACK_COMPONENTS_ALL bench)
endif()
foreach(name onednn opencl)
  if(TARGET seqrt-${name})
    list(APPEND CPACK_COMPONENTS_ALL ${name})
  endif()
endforeach()
list(APPEND CPACK_COMPONENTS_ALL python)

set(CPACK_DEBIAN_LIBS_PACKAGE_NAME libseqrt0)
set(CPACK_DEBIAN_LIBS_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_LIBS_DESCRIPTION "seqrt: runs LSTM and attention models on any hardware (library)
 The seqrt library with its scalar reference backend. Backend modules for
 oneDNN (CPU) and OpenCL (GPU) come in seqrt-backend-onednn and
 seqrt-backend-opencl.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libseqrt-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${_seqrt_lib}")
set(CPACK_COMPONENT_DEV_DESCRIPTION "seqrt: development files
 seqrt.h, the backend interface (seqrt/backend.h), libseqrt.so, the CMake
 package (find_package(seqrt)) and seqrt.pc for pkg-config.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME seqrt-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${_seqrt_lib}")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "seqrt-backend-opencl, seqrt-bench")
set(CPACK_DEBIAN_TOOLS_PACKAGE_RECOMMENDS "seqrt-backend-onednn")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "seqrt: command-line tools
 seqrt (run, info, backends, generate, classify) and seqrt-conformance
 with its golden cases.")

set(CPACK_DEBIAN_BENCH_PACKAGE_NAME seqrt-bench)
set(CPACK_DEBIAN_BENCH_PACKAGE_DEPENDS "${_seqrt_lib}")
set(CPACK_COMPONENT_BENCH_DESCRIPTION "seqrt: benchmark
 seqrt-bench times every backend and device against oneDNN's, CLBlast's and
 ONNX Runtime's own kernels measured in the same run.")

set(CPACK_DEBIAN_ONEDNN_PACKAGE_NAME seqrt-backend-onednn)
set(CPACK_DEBIAN_ONEDNN_PACKAGE_DEPENDS "${_seqrt_lib}")
set(CPACK_COMPONENT_ONEDNN_DESCRIPTION "seqrt: oneDNN CPU backend
 The backend module libseqrt-onednn.so, loaded by libseqrt at run time.")

set(CPACK_DEBIAN_OPENCL_PACKAGE_NAME seqrt-backend-opencl)
set(CPACK_DEBIAN_OPENCL_PACKAGE_DEPENDS "${_seqrt_lib}")
set(CPACK_COMPONENT_OPENCL_DESCRIPTION "seqrt: OpenCL GPU backend
 The backend module libseqrt-opencl.so, loaded by libseqrt at run time. It
 needs an OpenCL driver (an ICD) for the device.")

set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-seqrt)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3 (>= 3.9), python3-numpy, ${_seqrt_lib}")
set(CPACK_DEBIAN_PYTHON_PACKAGE_SUGGESTS "python3-torch, python3-onnx, python3-distributed")
set(CPACK_COMPONENT_PYTHON_DESCRIPTION "seqrt: Python package
 import seqrt: models, devices and sessions over libseqrt (ctypes, numpy
 arrays in and out), seqrt.export (PyTorch) and seqrt.onnx (ONNX import).")

include(CPack)

# What `cmake --install` puts where (GNUInstallDirs, see install_dirs.cmake),
# split into the components the Debian packages are made of
# (packaging.cmake):
#   libs    libseqrt.so.0 and its version                     -> libseqrt0
#   dev     headers, libseqrt.so, CMake and pkg-config files  -> libseqrt-dev
#   tools   seqrt, seqrt-conformance (+ goldens)             -> seqrt-tools
#   bench   seqrt-bench                                       -> seqrt-bench
#   onednn  <libdir>/seqrt-0/libseqrt-onednn.so               -> seqrt-backend-onednn
#   opencl  <libdir>/seqrt-0/libseqrt-opencl.so               -> seqrt-backend-opencl
#   python  the Python package seqrt                          -> python3-seqrt
include(CMakePackageConfigHelpers)

# ---------------------------------------------------------------- library
set_target_properties(seqrt PROPERTIES INSTALL_RPATH "")
install(TARGETS seqrt EXPORT seqrtTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libs NAMELINK_COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/api/seqrt.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
# For third-party backend modules: #include <seqrt/backend.h>
install(FILES ${PROJECT_SOURCE_DIR}/api/backend.h ${PROJECT_SOURCE_DIR}/api/internal.h ${PROJECT_SOURCE_DIR}/api/model.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/seqrt COMPONENT dev)

# ---------------------------------------------------------------- backends
foreach(name onednn opencl)
  if(TARGET seqrt-${name})
    set_target_properties(seqrt-${name} PROPERTIES INSTALL_RPATH "${SEQRT_MODULE_INSTALL_RPATH}")
    install(TARGETS seqrt-${name} LIBRARY DESTINATION ${SEQRT_INSTALL_MODULEDIR} COMPONENT ${name})
  endif()
endforeach()

# ---------------------------------------------------------------- programs
install(TARGETS seqrt-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
if(TARGET seqrt-conformance)
  install(TARGETS seqrt-conformance RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/conformance/data/golden/
          DESTINATION ${SEQRT_INSTALL_GOLDENDIR} COMPONENT tools)
endif()
if(TARGET seqrt-bench)
  # its own package: it links oneDNN and CLBlast for the baselines, which
  # seqrt-tools must not pull in on a machine without OpenCL
  install(TARGETS seqrt-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bench)
endif()

# ---------------------------------------------------------------- CMake package
# find_package(seqrt 0.3 REQUIRED) -> seqrt::seqrt. Before 1.0 a minor
# version may change the API, so only the same MAJOR.MINOR is compatible.
install(EXPORT seqrtTargets NAMESPACE seqrt:: DESTINATION ${SEQRT_INSTALL_CMAKEDIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/seqrtConfig.cmake.in
  ${PROJECT_BINARY_DIR}/seqrtConfig.cmake
  INSTALL_DESTINATION ${SEQRT_INSTALL_CMAKEDIR}
  PATH_VARS SEQRT_INSTALL_MODULEDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/seqrtConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/seqrtConfig.cmake ${PROJECT_BINARY_DIR}/seqrtConfigVersion.cmake
        DESTINATION ${SEQRT_INSTALL_CMAKEDIR} COMPONENT dev)

# ---------------------------------------------------------------- pkg-config
# prefix is found from the .pc file's own place (${pcfiledir}), so a moved
# prefix still works.
file(RELATIVE_PATH SEQRT_PC_TO_PREFIX /_p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /_p)
string(REGEX REPLACE "/$" "" SEQRT_PC_TO_PREFIX "${SEQRT_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/seqrt.pc.in ${PROJECT_BINARY_DIR}/seqrt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/seqrt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# ---------------------------------------------------------------- Python
# The package, plus seqrt/_install.py telling it where libseqrt is,
# relative to itself.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/seqrt DESTINATION ${SEQRT_INSTALL_PYTHONDIR} COMPONENT python
        PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE PATTERN "_install.py" EXCLUDE)
configure_file(${PROJECT_SOURCE_DIR}/cmake/python_install.py.in ${PROJECT_BINARY_DIR}/python/_install.py @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/python/_install.py DESTINATION ${SEQRT_INSTALL_PYTHONDIR}/seqrt
        COMPONENT python)

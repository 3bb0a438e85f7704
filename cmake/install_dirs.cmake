# Where an installed seqrt puts each part (GNUInstallDirs), and the relative
# paths between them that the installed files carry: RUNPATHs, the
# conformance goldens' directory, the Python package's library path. Every
# one is relative, so a prefix moved elsewhere (or unpacked with dpkg -x)
# still works. Included before the targets are made, so CMAKE_INSTALL_RPATH
# applies to every program.

set(SEQRT_INSTALL_MODULEDIR ${CMAKE_INSTALL_LIBDIR}/${SEQRT_MODULE_DIR_NAME}
    CACHE INTERNAL "backend modules, relative to the prefix")
set(SEQRT_INSTALL_GOLDENDIR ${CMAKE_INSTALL_DATADIR}/seqrt/conformance/golden
    CACHE INTERNAL "conformance goldens, relative to the prefix")
set(SEQRT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/seqrt
    CACHE INTERNAL "seqrtConfig.cmake, relative to the prefix")
# Debian's layout: /usr/lib/python3/dist-packages (for another prefix, put
# P/lib/python3/dist-packages on PYTHONPATH, or pip install ./python).
set(SEQRT_INSTALL_PYTHONDIR lib/python3/dist-packages CACHE STRING
    "where the Python package seqrt is installed, relative to the prefix")

# Paths are relative to the prefix; absolute forms (a GNUInstallDirs value
# given absolute) would make the RUNPATHs below meaningless.
foreach(dir CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_DATADIR CMAKE_INSTALL_INCLUDEDIR)
  if(IS_ABSOLUTE "${${dir}}")
    message(FATAL_ERROR "seqrt: ${dir} must be relative to the prefix (got ${${dir}})")
  endif()
endforeach()

file(RELATIVE_PATH _seqrt_bin_to_lib /_p/${CMAKE_INSTALL_BINDIR} /_p/${CMAKE_INSTALL_LIBDIR})
file(RELATIVE_PATH _seqrt_mod_to_lib /_p/${SEQRT_INSTALL_MODULEDIR} /_p/${CMAKE_INSTALL_LIBDIR})
file(RELATIVE_PATH SEQRT_GOLDEN_RELDIR /_p/${CMAKE_INSTALL_BINDIR} /_p/${SEQRT_INSTALL_GOLDENDIR})
file(RELATIVE_PATH SEQRT_PYTHON_LIB_RELPATH /_p/${SEQRT_INSTALL_PYTHONDIR}/seqrt
     /_p/${CMAKE_INSTALL_LIBDIR}/libseqrt.so.${PROJECT_VERSION_MAJOR})

# Programs find libseqrt through $ORIGIN; backend modules, one level down,
# likewise; libseqrt itself needs none.
set(CMAKE_INSTALL_RPATH "$ORIGIN/${_seqrt_bin_to_lib}")
set(SEQRT_MODULE_INSTALL_RPATH "$ORIGIN/${_seqrt_mod_to_lib}")

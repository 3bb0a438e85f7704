# Tests of the installed seqrt (after every part, so the backend targets are
# known): a `cmake --install` prefix with the consumer builds and a pip
# install, and the Debian packages unpacked into a scratch root.
set(_seqrt_built_backends reference)
foreach(name onednn opencl)
  if(TARGET seqrt-${name})
    string(APPEND _seqrt_built_backends ",${name}")
  endif()
endforeach()
set(_seqrt_install_env "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/opencl-test-cache")
add_test(NAME install_prefix
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
                 $<TARGET_FILE:npy_allclose> ${_seqrt_built_backends})
add_test(NAME install_deb
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/deb_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
                 $<TARGET_FILE:npy_allclose> ${_seqrt_built_backends})
set_tests_properties(install_prefix install_deb PROPERTIES TIMEOUT 600
                     ENVIRONMENT "${_seqrt_install_env}" RESOURCE_LOCK seqrt_opencl)

# Tests (Criterion executables and scripts), run by ctest.
find_library(CRITERION_LIB criterion REQUIRED)

function(seqrt_criterion_test name)
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/api ${CMAKE_SOURCE_DIR}/reference)
  target_link_libraries(${name} PRIVATE seqrt ${CRITERION_LIB} PkgConfig::CJSON m)
  target_compile_definitions(${name} PRIVATE SEQRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  # --jobs 1: some tests are timing-free but heavy; keep output readable
  add_test(NAME ${name} COMMAND ${name} --jobs 2)
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()

# Unit tests of the file formats link the parser sources directly, so they
# can reach the internal API.
seqrt_criterion_test(test_npy tests/test_npy.c)
seqrt_criterion_test(test_npy_files tests/test_npy_files.c)
seqrt_criterion_test(test_safetensors tests/test_safetensors.c)
seqrt_criterion_test(test_goldens tests/test_goldens.c conformance/compare.c)
seqrt_criterion_test(test_model_errors tests/test_model_errors.c)
seqrt_criterion_test(test_run_errors tests/test_run_errors.c)
seqrt_criterion_test(test_model_errors_v11 tests/test_model_errors_v11.c)
seqrt_criterion_test(test_model_errors_v12 tests/test_model_errors_v12.c)
seqrt_criterion_test(test_tensor_steps tests/test_tensor_steps.c)
seqrt_criterion_test(test_cpu_budget tests/test_cpu_budget.c)
seqrt_criterion_test(test_session tests/test_session.c)
seqrt_criterion_test(test_api tests/test_api.c)
# The stream pool (docs/streams.md): pool vs solo runs on every device, bad input.
seqrt_criterion_test(test_stream_pool tests/test_stream_pool.c)
seqrt_criterion_test(test_stream_pool_errors tests/test_stream_pool_errors.c)
# One pool shared by 4 threads (also run under TSan by tools/ci_sanitize.sh).
add_executable(test_stream_pool_threads tests/test_stream_pool_threads.c)
target_link_libraries(test_stream_pool_threads PRIVATE seqrt Threads::Threads m)
target_compile_definitions(test_stream_pool_threads PRIVATE SEQRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME test_stream_pool_threads COMMAND test_stream_pool_threads)
set_tests_properties(test_stream_pool_threads PROPERTIES TIMEOUT 300)
# The core's unbound outputs (sq_op_impl.unbound_outs) through the host
# executor, with a stand-in op table.
seqrt_criterion_test(test_unbound tests/test_unbound.c)
target_compile_definitions(test_api PRIVATE SEQRT_VERSION_TEXT="${PROJECT_VERSION}")

# CLI: the program's own behaviour (help, errors, atomic outputs, --chunk).
add_executable(npy_allclose tests/npy_allclose.c)
target_link_libraries(npy_allclose PRIVATE seqrt m)
add_test(NAME cli_test
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli_test.sh $<TARGET_FILE:seqrt-cli> ${CMAKE_SOURCE_DIR}
                 $<TARGET_FILE:npy_allclose>)
set_tests_properties(cli_test PROPERTIES TIMEOUT 300)
# CLI generate with initial-state inputs beside the token ids (d2l's RNNModel).
add_test(NAME cli_generate_test
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli_generate_test.sh $<TARGET_FILE:seqrt-cli> ${CMAKE_SOURCE_DIR})
set_tests_properties(cli_generate_test PROPERTIES TIMEOUT 300
  ENVIRONMENT "XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/opencl-test-cache" RESOURCE_LOCK seqrt_opencl)

# The golden generator's float64 oracles (tools/goldens/selftest.py): the
# ONNX-native LSTM/GRU/RNN against ONNX's helpers and node vectors, the
# seqrt-layout recurrences against it on format 1.1 attributes, and against
# PyTorch. Debian's Python (numpy, onnx, torch); nothing is written.
add_test(NAME goldens_selftest COMMAND /usr/bin/python3 -m goldens.selftest
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tools)
set_tests_properties(goldens_selftest PROPERTIES TIMEOUT 300 ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The NumPy oracle of torch's int8 dynamic Linear/LSTM/GRU (qnnpack, onednn)
# against torch itself (tools/goldens/quant_dynamic.py); skipped (77) without
# torch. It passes only on its closing "OK: <n> checks" line, printed when every
# check held, so a run that stops early without a status cannot pass.
add_test(NAME goldens_quant_selftest COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tools/goldens/quant_dynamic.py --selftest)
set_tests_properties(goldens_quant_selftest PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     PASS_REGULAR_EXPRESSION "OK: [0-9]+ checks" ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1")
# The quantized goldens (conformance/data/golden_quant) rebuilt from torch
# and compared with the files (tools/goldens/cases_quant.py --verify).
add_test(NAME goldens_quant_verify COMMAND /usr/bin/python3 -m goldens.cases_quant --verify
                                           ${CMAKE_SOURCE_DIR}/conformance/data/golden_quant
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tools)
set_tests_properties(goldens_quant_verify PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77
                     ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1" PASS_REGULAR_EXPRESSION " 0 problems")

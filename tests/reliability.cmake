# Reliability and security (issue 7): fuzzers, corpus replay, fault
# injection, concurrency, numerical robustness. Included by the top-level
# CMakeLists.txt after tests/tests.cmake. See docs/reliability.md.
#
# Builds:
#   - with any compiler: the replay drivers (every committed corpus file and
#     every past finding through each fuzz target, as a ctest test), the
#     fault-injection test (its own copy of the core, built with
#     SEQRT_FAULT_INJECTION), the concurrency test and the numerics test;
#   - with clang (SEQRT_FUZZERS, on by default there): the libFuzzer targets
#     bin/fuzz_description, fuzz_graph, fuzz_safetensors, fuzz_npy, over
#     their own copy of the core instrumented for coverage, ASan and UBSan.
#     They are not run by ctest; see conformance/fuzz/run_fuzz.sh and
#     tools/ci_sanitize.sh (the CI smoke).
#
# ThreadSanitizer: configure a separate tree with clang and
#   -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
#   -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=thread
# and run test_concurrency there (tools/ci_sanitize.sh does, in build-tsan).

set(SEQRT_FUZZ_DIR ${CMAKE_SOURCE_DIR}/conformance/fuzz)
set(SEQRT_GOLDEN_DIR ${CMAKE_SOURCE_DIR}/conformance/data/golden)
set(SEQRT_FUZZ_TARGETS description graph safetensors npy)
# Which golden files seed each target.
set(SEQRT_FUZZ_SUFFIX_description model.json)
set(SEQRT_FUZZ_SUFFIX_graph model.json)
set(SEQRT_FUZZ_SUFFIX_safetensors .safetensors)
set(SEQRT_FUZZ_SUFFIX_npy .npy)

# ---------------------------------------------------------------- corpus replay
foreach(t ${SEQRT_FUZZ_TARGETS})
  add_executable(fuzz_replay_${t} ${SEQRT_FUZZ_DIR}/fuzz_${t}.c ${SEQRT_FUZZ_DIR}/fuzz_replay.c)
  target_include_directories(fuzz_replay_${t} PRIVATE ${CMAKE_SOURCE_DIR}/api)
  target_link_libraries(fuzz_replay_${t} PRIVATE seqrt PkgConfig::CJSON m)
  set(replay_args ${SEQRT_FUZZ_DIR}/corpus/${t})
  if(EXISTS ${SEQRT_FUZZ_DIR}/regressions/${t})
    list(APPEND replay_args ${SEQRT_FUZZ_DIR}/regressions/${t})
  endif()
  list(APPEND replay_args --suffix=${SEQRT_FUZZ_SUFFIX_${t}} ${SEQRT_GOLDEN_DIR})
  add_test(NAME fuzz_corpus_${t} COMMAND fuzz_replay_${t} ${replay_args})
  set_tests_properties(fuzz_corpus_${t} PROPERTIES TIMEOUT 600)
endforeach()

# ---------------------------------------------------------------- libFuzzer targets
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(seqrt_fuzz_default ON)
else()
  set(seqrt_fuzz_default OFF)
endif()
option(SEQRT_FUZZERS "Build the libFuzzer targets (clang only)" ${seqrt_fuzz_default})
if(SEQRT_FUZZERS AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "SEQRT_FUZZERS needs clang (libFuzzer); the fuzzers are not built")
  set(SEQRT_FUZZERS OFF)
endif()
if(SEQRT_FUZZERS)
  set(fuzz_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_library(seqrt_fuzzcore STATIC ${SEQRT_CORE_SOURCES} ${SEQRT_REFERENCE_SOURCES})
  target_include_directories(seqrt_fuzzcore PUBLIC ${CMAKE_SOURCE_DIR}/api)
  target_compile_options(seqrt_fuzzcore PRIVATE -fsanitize=fuzzer-no-link ${fuzz_flags})
  target_link_libraries(seqrt_fuzzcore PUBLIC PkgConfig::CJSON Threads::Threads ${CMAKE_DL_LIBS} m)
  foreach(t ${SEQRT_FUZZ_TARGETS})
    add_executable(fuzz_${t} ${SEQRT_FUZZ_DIR}/fuzz_${t}.c)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer ${fuzz_flags})
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer ${fuzz_flags})
    target_link_libraries(fuzz_${t} PRIVATE seqrt_fuzzcore)
  endforeach()
endif()

# ---------------------------------------------------------------- fault injection
# The core and the reference backend once more, with the counting allocator
# hooks and the backend call hooks of api/fault.h armed. The test exports the
# core's symbols, so a backend module it dlopens (from build/lib/seqrt-0, through
# SEQRT_BACKEND_PATH) allocates and calls sq_fault_hit() through this copy.
add_library(seqrt_fi STATIC ${SEQRT_CORE_SOURCES} ${SEQRT_REFERENCE_SOURCES})
target_include_directories(seqrt_fi PUBLIC ${CMAKE_SOURCE_DIR}/api)
target_compile_definitions(seqrt_fi PUBLIC SEQRT_FAULT_INJECTION)
target_link_libraries(seqrt_fi PUBLIC PkgConfig::CJSON Threads::Threads ${CMAKE_DL_LIBS} m)
add_executable(test_fault_injection tests/test_fault_injection.c)
target_link_libraries(test_fault_injection PRIVATE seqrt_fi)
target_compile_definitions(test_fault_injection PRIVATE SEQRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
set_target_properties(test_fault_injection PROPERTIES ENABLE_EXPORTS ON)
add_test(NAME test_fault_injection COMMAND test_fault_injection)
set_tests_properties(test_fault_injection PROPERTIES TIMEOUT 900
                     ENVIRONMENT "SEQRT_BACKEND_PATH=${SEQRT_MODULE_OUTPUT_DIR}")

# ---------------------------------------------------------------- concurrency
# 8 threads x SEQRT_CONCURRENCY_RUNS runs (default 500) per available backend.
add_executable(test_concurrency tests/test_concurrency.c)
target_link_libraries(test_concurrency PRIVATE seqrt Threads::Threads m)
target_compile_definitions(test_concurrency PRIVATE SEQRT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME test_concurrency COMMAND test_concurrency)
set_tests_properties(test_concurrency PROPERTIES TIMEOUT 900)

# ---------------------------------------------------------------- numerics
seqrt_criterion_test(test_numerics tests/test_numerics.c)

# ---------------------------------------------------------------- limits
# Every documented limit at its edge; the weights-path rule; the in-memory
# loader of the fuzzers against the file loader.
seqrt_criterion_test(test_limits tests/test_limits.c)

# rag_add_unit_test(NAME <name> SOURCES <files...> LIBS <targets...>)
# Builds one GoogleTest executable and registers its tests with CTest.
# rag_optimize_as_test_code(<target>)
# Test code (unit tests, fuzz replay drivers) is compiled at -O1 in Release: the code under test
# is the libraries, built at -O3 as they ship; -O3 on the test files only cost compile time
# (about 30 % of each test file's, measured in docs/DEVELOPING.md).
# At -O1, g++ 12 inlines Asio's coroutine-frame allocator differently and reports its recycling
# allocator as -Wmismatched-new-delete (a false positive in Boost 1.74, silenced in the sanitizer
# builds for the same reason: cmake/Sanitizers.cmake).
function(rag_optimize_as_test_code target)
  target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-O1>
                         $<$<AND:$<CONFIG:Release>,$<CXX_COMPILER_ID:GNU>>:-Wno-mismatched-new-delete>)
endfunction()

function(rag_add_unit_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT RAG_BUILD_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  rag_optimize_as_test_code(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()

# rag_add_integration_test(NAME <name> SCRIPT <file.py> [TIMEOUT s])
# Registers a Python (stdlib unittest) test that drives the real binary over loopback.
function(rag_add_integration_test)
  cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT" "" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_test(NAME ${T_NAME}
           COMMAND python3 -m unittest -v ${T_SCRIPT}
           WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${T_NAME} PROPERTIES
    LABELS integration TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "RAG_SERVER_BIN=$<TARGET_FILE:rag-server>;RAG_SERVER_TEST_BIN=$<TARGET_FILE:rag-server-test>;RAG_SOURCE_DIR=${PROJECT_SOURCE_DIR};RAG_BUILD_DIR=${CMAKE_BINARY_DIR};PYTHONDONTWRITEBYTECODE=1")
endfunction()

# rag_embed_assets(OUT <var> DIR <asset dir> NAMESPACE <ns> [EXTRA <path>=<file>...])
# Compiles every file under DIR into the binary (see src/web/assets.hpp), and each EXTRA file
# (from outside the tree, e.g. a Debian package's) under its asset path; sets <var> to the
# generated source. Adding or changing a file under DIR, or an EXTRA file, regenerates it.
function(rag_embed_assets)
  cmake_parse_arguments(E "" "OUT;DIR;NAMESPACE" "EXTRA" ${ARGN})
  file(GLOB_RECURSE inputs CONFIGURE_DEPENDS "${E_DIR}/*")
  foreach(pair IN LISTS E_EXTRA)
    string(REGEX REPLACE "^[^=]*=" "" file "${pair}")
    list(APPEND inputs "${file}")
  endforeach()
  string(REPLACE ";" "|" extra "${E_EXTRA}")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/embedded_assets.cpp")
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DASSET_DIR=${E_DIR} -DOUT=${out} -DNAMESPACE=${E_NAMESPACE}
            "-DEXTRA=${extra}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedAssets.cmake
    DEPENDS ${inputs} ${PROJECT_SOURCE_DIR}/cmake/EmbedAssets.cmake
    COMMENT "Embedding assets from ${E_DIR}")
  set(${E_OUT} "${out}" PARENT_SCOPE)
endfunction()

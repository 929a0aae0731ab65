# rag_add_unit_test(NAME <name> SOURCES <files...> LIBS <targets...>)
# Builds one GoogleTest executable and registers its tests with CTest.
function(rag_add_unit_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(NOT RAG_BUILD_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
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

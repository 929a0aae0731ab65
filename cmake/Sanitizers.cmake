# Sanitizer builds of the whole tree (ASan+UBSan or TSan), chosen by the cache variable
# RAG_SANITIZE. Included by the top-level CMakeLists.txt after its add_compile_options and
# before add_subdirectory(src), so every target -- product, unit tests, fakes, benchmarks,
# fuzz replays -- is compiled and linked with the same instrumentation. scripts/sanitize.sh
# drives it (build dirs build-asan / build-tsan, runtime options, suppressions in
# tests/sanitizers/); docs/SANITIZERS.md explains the choices.
#
#   RAG_SANITIZE=""    normal build (default; this file adds nothing)
#   RAG_SANITIZE=asan  AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer; any UB aborts
#   RAG_SANITIZE=tsan  ThreadSanitizer
#
# Third-party libraries (static libfaiss.a, libgomp, OpenBLAS, SQLite, ...) are not
# instrumented: ASan still sees their heap through the interposed malloc; TSan needs
# OMP_NUM_THREADS=1 / suppressions for them (tests/sanitizers/tsan.supp).

set(RAG_SANITIZE "" CACHE STRING "Sanitizer build: empty, asan (ASan+UBSan+LSan) or tsan")
set_property(CACHE RAG_SANITIZE PROPERTY STRINGS "" asan tsan)

if(RAG_SANITIZE STREQUAL "")
  return()
endif()

if(RAG_SANITIZE STREQUAL "asan")
  set(_rag_san_flags -fsanitize=address,undefined -fno-omit-frame-pointer
                     -fno-sanitize-recover=undefined)
elseif(RAG_SANITIZE STREQUAL "tsan")
  set(_rag_san_flags -fsanitize=thread)
else()
  message(FATAL_ERROR "RAG_SANITIZE must be empty, 'asan' or 'tsan' (got '${RAG_SANITIZE}')")
endif()

# -O1 -g come after the build type's own -O flags on the command line, so they win: fast
# enough to run the whole suite, still precise stack traces.
add_compile_options(${_rag_san_flags} -O1 -g)
add_link_options(${_rag_san_flags})
message(STATUS "rag-server: sanitizer build '${RAG_SANITIZE}' (${_rag_san_flags})")
unset(_rag_san_flags)

# Sanitizer builds of the whole tree (ASan+UBSan or TSan), chosen by the cache variable
# RAG_SANITIZE. Included by the top-level CMakeLists.txt after its add_compile_options and
# before add_subdirectory(src), so every target -- product, unit tests, fakes, benchmarks,
# fuzz replays -- is compiled and linked with the same instrumentation. scripts/sanitize.sh
# drives it (build dirs build-asan / build-tsan, runtime options, suppressions in
# tests/sanitizers/); docs/SANITIZERS.md explains the choices.
#
#   RAG_SANITIZE=""    normal build (default; this file adds nothing)
#   RAG_SANITIZE=asan  AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer; any UB aborts.
#                      With clang (scripts/configure-sanitized.sh) also libFuzzer's coverage
#                      instrumentation (-fsanitize=fuzzer-no-link), so that one tree serves both
#                      the fuzz targets (scripts/fuzz.sh) and the test suite: the code is
#                      compiled once for the two CI phases instead of twice.
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

# Warnings that only GCC's instrumented builds print, all about library code, silenced so that a
# real warning stands out in CI's log (the Release build prints none):
# - -Wmaybe-uninitialized: GCC's manual warns that sanitizers raise its false positives; here
#   40 of them in libstdc++'s std::regex compiler (tests only) under ASan.
# - -Wmismatched-new-delete: GCC 12 pairs Asio's awaitable frames' class-specific operator delete
#   with the global new at -O1 (6-8 sites, all Boost coroutine frames). ASan checks every real
#   new/delete pairing at run time (alloc_dealloc_mismatch), which is the stronger proof.
# - -Wtsan: Asio's std_fenced_block uses std::atomic_thread_fence, which TSan does not model
#   (1,099 warnings). An unmodelled fence can only make TSan report a race it should not, never
#   hide one, and the suite runs without reports.
if(RAG_SANITIZE STREQUAL "asan")
  set(_rag_san_flags -fsanitize=address,undefined -fno-omit-frame-pointer
                     -fno-sanitize-recover=undefined)
  set(_rag_quiet -Wno-maybe-uninitialized -Wno-mismatched-new-delete)
elseif(RAG_SANITIZE STREQUAL "tsan")
  set(_rag_san_flags -fsanitize=thread)
  set(_rag_quiet -Wno-tsan -Wno-mismatched-new-delete)
else()
  message(FATAL_ERROR "RAG_SANITIZE must be empty, 'asan' or 'tsan' (got '${RAG_SANITIZE}')")
endif()

# -O1 -g1 come after the build type's own -O flags on the command line, so they win: fast
# enough to run the whole suite, still precise stack traces. -g1 is line tables and function
# names, all a sanitizer report's symbolised trace uses; full -g doubled the compile time of
# the instrumented tree (docs/DEVELOPING.md) for variables only a debugger shows.
add_compile_options(${_rag_san_flags} -O1 -g1)
add_link_options(${_rag_san_flags})
if(RAG_SANITIZE STREQUAL "asan" AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Coverage counters only; libFuzzer itself is linked into the fuzz targets alone
  # (fuzz/CMakeLists.txt), and the sanitizer runtime answers the counters' calls elsewhere.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options(${_rag_quiet})
endif()
message(STATUS "rag-server: sanitizer build '${RAG_SANITIZE}' (${_rag_san_flags})")
unset(_rag_san_flags)
unset(_rag_quiet)

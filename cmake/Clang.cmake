# Building with clang (the libFuzzer build of scripts/fuzz.sh, docs/FUZZING.md) against Debian
# 12's libstdc++ 12, Boost 1.74 and FAISS. Included by the top-level CMakeLists.txt for clang.
#  - libstdc++ 12 declares std::expected only when __cpp_concepts >= 202002L, which Debian's
#    clang 14 does not define: the build is checked with clang 19 (Debian's clang-19).
#  - Boost 1.74's Asio looks for clang's coroutines in <experimental/coroutine> (libc++) only;
#    with libstdc++ they are in <coroutine>, so the support is declared here.
#  - libfaiss.a is built with GCC's OpenMP runtime (libgomp): clang links that one too, with
#    GCC's omp.h, instead of LLVM's libomp (which Debian's clang would look for, and which is
#    not installed). A folder of its own holds a wrapper of that omp.h alone: GCC's include
#    folder also holds GCC's intrinsics headers, which must not shadow clang's, and clang does
#    not know the `__malloc__(deallocator)` attribute form GCC 12's omp.h uses.
#  - libstdc++'s std::stable_sort calls its own get_temporary_buffer, which it marks deprecated
#    for C++17 and later: clang warns about it at every instantiation (GCC does not). Our code
#    is checked for deprecations by the GCC builds.
if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 19)
  message(FATAL_ERROR "clang ${CMAKE_CXX_COMPILER_VERSION} cannot compile libstdc++ 12's "
                      "std::expected; use clang 19 (apt-get install clang-19)")
endif()
add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
add_compile_options(-Wno-deprecated-declarations)

execute_process(COMMAND gcc -print-file-name=libgomp.so
                OUTPUT_VARIABLE RAG_LIBGOMP OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND gcc -print-file-name=include/omp.h
                OUTPUT_VARIABLE RAG_GOMP_HEADER OUTPUT_STRIP_TRAILING_WHITESPACE)
file(WRITE ${CMAKE_BINARY_DIR}/gomp-include/omp.h
"/* Written by cmake/Clang.cmake: GCC's omp.h for clang. */
#define __malloc__(...)
#include \"${RAG_GOMP_HEADER}\"
#undef __malloc__
")
set(OpenMP_CXX_FLAGS -fopenmp=libgomp CACHE STRING "OpenMP flags (GCC's runtime, as FAISS)")
set(OpenMP_CXX_LIB_NAMES gomp CACHE STRING "OpenMP libraries")
set(OpenMP_gomp_LIBRARY ${RAG_LIBGOMP} CACHE FILEPATH "GCC's libgomp, which libfaiss.a uses")
set(OpenMP_CXX_INCLUDE_DIR ${CMAKE_BINARY_DIR}/gomp-include CACHE PATH "GCC's omp.h alone")

# Compiler cache: every build of this tree (Release, the sanitizer builds, the fuzz build, a
# fresh clone in another folder) compiles through ccache when it is installed, so an object
# that was compiled once, anywhere on the machine, is not compiled again (docs/DEVELOPING.md).
#
# - CCACHE_BASEDIR = the source tree: ccache rewrites absolute paths under it to relative
#   ones before hashing, so /tmp/ci/src/x.cpp and /work/main/src/x.cpp share an entry.
# - CCACHE_NOHASHDIR: with -g the working directory would otherwise be part of the hash (it is
#   written into the debug information); build folders differ from clone to clone.
# - CCACHE_SLOPPINESS: mtimes of headers ignored (a fresh clone has new ones; their content is
#   hashed anyway).
# Opt out with -DRAG_CCACHE=OFF. A launcher given on the command line wins.
option(RAG_CCACHE "Compile through ccache when it is installed" ON)
find_program(RAG_CCACHE_PROGRAM ccache)
if(RAG_CCACHE AND RAG_CCACHE_PROGRAM AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}
      CCACHE_NOHASHDIR=true
      CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime
      ${RAG_CCACHE_PROGRAM})
endif()

// The driver linked into every fuzz target (fuzz/CMakeLists.txt). Two modes:
//   fuzz_<target> PATH...   replays every file under each PATH (files or folders, recursively,
//                           in name order; dotfiles skipped): the CTest `fuzz-replay` tests run
//                           this over the seed corpus and the regression inputs, so every crash
//                           ever found stays fixed, in normal and sanitizer builds alike;
//   fuzz_<target>           reads ONE input from stdin and runs it (e.g. a reproducer piped
//                           in from elsewhere). Fuzzing links libFuzzer's main instead.
// A finding aborts (sanitizer report or a broken invariant), so the exit status says it all.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

namespace {

namespace fs = std::filesystem;

std::string read_all(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int run_one(const std::string& bytes) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                bytes.size());
}

bool collect(const fs::path& path, std::vector<fs::path>& files) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::cerr << "replay: no such file or folder: " << path << "\n";
    return false;
  }
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    const auto name = entry.path().filename().string();
    if (entry.is_regular_file() && !name.starts_with(".")) files.push_back(entry.path());
  }
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    std::ios::sync_with_stdio(false);
    run_one(read_all(std::cin));
    return 0;
  }
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i)
    if (!collect(argv[i], files)) return 2;
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "replay: cannot read " << file << "\n";
      return 2;
    }
    std::cerr << "replay: " << file.string() << "\n";
    run_one(read_all(in));
  }
  std::cerr << "replay: " << files.size() << " inputs, no finding\n";
  return 0;
}

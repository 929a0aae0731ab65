// Expands the PATH arguments of `index` into files: folders recursively (hidden entries and
// symlinked folders skipped), sorted by their source path so runs are deterministic.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace rag::ingest {

struct SourceFile {
  std::filesystem::path path;  // as found (relative to the working directory or absolute)
  std::filesystem::path root;  // the PATH argument it came from (a file's own folder)
  std::string source;          // source_path(root, path): the document's key in the index
};

// kNotFound when a PATH does not exist; duplicates (same source) are kept once.
Result<std::vector<SourceFile>> collect_files(const std::vector<std::filesystem::path>& paths);

}  // namespace rag::ingest

// Folder walking (see file_walker.hpp).
#include "ingest/file_walker.hpp"

#include <algorithm>
#include <set>

#include "ingest/chunk_metadata.hpp"

namespace rag::ingest {

namespace fs = std::filesystem;

Result<std::vector<SourceFile>> collect_files(const std::vector<fs::path>& paths) {
  std::vector<SourceFile> out;
  for (const fs::path& arg : paths) {
    std::error_code ec;
    auto status = fs::status(arg, ec);
    if (ec || !fs::exists(status)) {
      return fail(ErrorCode::kNotFound, "no such file or folder: " + arg.string());
    }
    if (fs::is_regular_file(status)) {
      fs::path root = arg.parent_path().empty() ? fs::path(".") : arg.parent_path();
      out.push_back({arg, root, source_path(root, arg)});
      continue;
    }
    fs::path root = arg;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return fail(ErrorCode::kIo, "cannot read folder " + arg.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const auto name = it->path().filename().string();
      if (!name.empty() && name.front() == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) out.push_back({it->path(), root, source_path(root, it->path())});
    }
    if (ec) return fail(ErrorCode::kIo, "cannot walk " + arg.string() + ": " + ec.message());
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const SourceFile& a, const SourceFile& b) { return a.source < b.source; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const SourceFile& a, const SourceFile& b) { return a.source == b.source; }),
            out.end());
  return out;
}

}  // namespace rag::ingest

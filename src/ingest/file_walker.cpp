// Folder walking (see file_walker.hpp).
#include "ingest/file_walker.hpp"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "ingest/chunk_metadata.hpp"

namespace rag::ingest {

namespace fs = std::filesystem;

bool is_excluded(const fs::path& relative, const std::vector<std::string>& patterns) {
  const std::string path = relative.generic_string();
  const std::string name = relative.filename().string();
  for (const auto& pattern : patterns) {
    if (pattern.find('/') == std::string::npos) {
      if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
    } else {
      const char* anchored = pattern.c_str() + (pattern.front() == '/' ? 1 : 0);
      if (::fnmatch(anchored, path.c_str(), FNM_PATHNAME) == 0) return true;
    }
  }
  return false;
}

std::vector<std::string> read_ignore_file(const fs::path& folder) {
  std::vector<std::string> out;
  std::ifstream in(folder / ".ragignore");
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    const auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    out.push_back(line.substr(start));
  }
  return out;
}

namespace {

// Whether `link`, met under the folder whose real path is `real_root`, is a file to read: it
// must resolve (every link on the way) to a regular file inside that folder. Links to folders
// are never followed, so a walk cannot loop; the others are skipped with a warning.
bool readable_link(const fs::path& link, const fs::path& real_root) {
  std::error_code ec;
  const fs::path target = fs::canonical(link, ec);
  if (ec) {
    spdlog::warn("skipping {}: a link that does not resolve", link.string());
    return false;
  }
  const fs::path rel = target.lexically_relative(real_root);
  if (rel.empty() || *rel.begin() == "..") {
    spdlog::warn("skipping {}: a link to outside {}", link.string(), real_root.string());
    return false;
  }
  return fs::is_regular_file(target, ec);
}

}  // namespace

Result<std::vector<SourceFile>> collect_files(const std::vector<fs::path>& paths,
                                              const std::vector<std::string>& exclude) {
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
    std::vector<std::string> patterns = exclude;
    std::ranges::move(read_ignore_file(root), std::back_inserter(patterns));
    const fs::path real_root = fs::canonical(root, ec);
    if (ec) return fail(ErrorCode::kIo, "cannot read folder " + arg.string() + ": " + ec.message());
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) return fail(ErrorCode::kIo, "cannot read folder " + arg.string() + ": " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const auto name = it->path().filename().string();
      if ((!name.empty() && name.front() == '.') ||
          is_excluded(it->path().lexically_relative(root), patterns)) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_symlink(ec) ? readable_link(it->path(), real_root) : it->is_regular_file(ec))
        out.push_back({it->path(), root, source_path(root, it->path())});
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

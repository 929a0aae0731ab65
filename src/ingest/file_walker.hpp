// Expands the PATH arguments of `index` into files: folders recursively (hidden entries,
// symlinked folders and excluded entries skipped), sorted by their source path so runs are
// deterministic. Nothing outside a PATH folder is read through a link: a symlinked file is
// taken only when it resolves to a regular file inside the folder (otherwise skipped with a
// warning), and links to folders are never followed, so no walk loops. The check is made
// during the walk; a folder someone rewrites while it is indexed is not defended against.
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

// Whether an entry found under a PATH folder is excluded by one of `patterns` (shell globs,
// `index --exclude`): a pattern without a slash matches the entry's name at any depth
// ("*.pdf", "drafts"); one with a slash matches its path relative to the PATH folder, with
// `*` never crossing a slash ("guides/old/*", "/README.md" anchored the same way). An
// excluded folder is skipped whole. Pure.
bool is_excluded(const std::filesystem::path& relative, const std::vector<std::string>& patterns);

// The patterns of a folder's `.ragignore` file (one glob per line as for is_excluded; blank
// lines and lines starting with # ignored); none when the file does not exist.
std::vector<std::string> read_ignore_file(const std::filesystem::path& folder);

// kNotFound when a PATH does not exist; duplicates (same source) are kept once. Under each
// PATH folder, `exclude` and the folder's own .ragignore apply. PATHs given as files are
// never excluded: naming a file is explicit.
Result<std::vector<SourceFile>> collect_files(const std::vector<std::filesystem::path>& paths,
                                              const std::vector<std::string>& exclude = {});

}  // namespace rag::ingest

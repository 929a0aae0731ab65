// Files compiled into the binary from src/web/assets/ (the chat page, the API reference page):
// the server needs nothing beside it to serve them, and a path can only name a file that was
// there at build time, so no request can reach the filesystem.
//
// Thread-safety: immutable static data; call from anywhere.
#pragma once

#include <string_view>

namespace rag::web {

struct Asset {
  std::string_view path;          // relative to src/web/assets/, e.g. "ui/app.js"
  std::string_view content_type;  // from the extension
  std::string_view body;
};

// The embedded file at `path`, or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace rag::web

// Path canonicalisation (see path.hpp).
#include "http/path.hpp"

namespace rag::http {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Whether `path` needs no rewriting: no escape, no empty, `.` or `..` segment, no trailing '/'.
// The common case, checked without writing anything.
bool already_canonical(std::string_view path) {
  if (path == "/") return true;
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    if (segment.find('%') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

// Appends `segment` with unreserved escapes decoded and the others upper-cased; false when an
// escape is malformed.
bool append_decoded(std::string_view segment, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return false;
    const int hi = hex_digit(segment[i + 1]), lo = hex_digit(segment[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (is_unreserved(byte)) {
      out += static_cast<char>(byte);
    } else {
      out += '%';
      out += kHex[hi];
      out += kHex[lo];
    }
    i += 2;
  }
  return true;
}

}  // namespace

PathForm canonicalize_path(std::string_view path, std::string& out) {
  if (path.empty() || path.front() != '/') return PathForm::kInvalid;
  if (already_canonical(path)) return PathForm::kCanonical;
  out.assign(1, '/');
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto raw = path.substr(start, end - start);
    start = end + 1;
    const std::size_t mark = out.size();
    if (!append_decoded(raw, out)) return PathForm::kInvalid;
    const std::string_view segment = std::string_view(out).substr(mark);
    if (segment.empty() || segment == ".") {
      out.resize(mark);
    } else if (segment == "..") {
      if (mark == 1) return PathForm::kInvalid;  // above the root
      out.resize(out.rfind('/', mark - 2) + 1);  // drop the previous segment
    } else {
      out += '/';
    }
  }
  if (out.size() > 1) out.pop_back();  // the '/' after the last segment
  return out == path ? PathForm::kCanonical : PathForm::kRewritten;
}

}  // namespace rag::http

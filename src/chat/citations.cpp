#include "chat/citations.hpp"

#include <optional>

namespace rag::chat {
namespace {

constexpr std::size_t kMaxDigits = 4;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Marker {
  std::vector<std::size_t> numbers;
  std::size_t length = 0;  // bytes from '[' to ']' inclusive
};

// The citation marker starting at text[at] == '[', or nullopt when the bracket starts anything
// else (a Markdown link `[1](url)` included).
std::optional<Marker> parse_marker(std::string_view text, std::size_t at) {
  Marker m;
  std::size_t i = at + 1;
  const auto skip_spaces = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  for (;;) {
    skip_spaces();
    std::size_t n = 0, digits = 0;
    while (i < text.size() && is_digit(text[i]) && digits <= kMaxDigits) {
      n = n * 10 + static_cast<std::size_t>(text[i] - '0');
      ++i, ++digits;
    }
    if (digits == 0 || digits > kMaxDigits) return std::nullopt;
    m.numbers.push_back(n);
    skip_spaces();
    if (i >= text.size()) return std::nullopt;
    if (text[i] == ']') break;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
  if (i + 1 < text.size() && text[i + 1] == '(') return std::nullopt;
  m.length = i + 1 - at;
  return m;
}

}  // namespace

CheckedAnswer check_citations(std::string_view answer, std::size_t sources) {
  CheckedAnswer out;
  out.cited.assign(sources, false);
  out.text.reserve(answer.size());
  bool in_fence = false, in_span = false;
  std::size_t i = 0;
  while (i < answer.size()) {
    const char c = answer[i];
    if (answer.substr(i, 3) == "```") {
      in_fence = !in_fence;
      out.text += "```";
      i += 3;
      continue;
    }
    if (c == '`' && !in_fence) in_span = !in_span;
    const auto marker = (c == '[' && !in_fence && !in_span) ? parse_marker(answer, i)
                                                            : std::nullopt;
    if (!marker) {
      out.text += c;
      ++i;
      continue;
    }
    std::vector<std::size_t> valid;
    for (std::size_t n : marker->numbers) {
      if (n >= 1 && n <= sources) {
        valid.push_back(n);
        out.cited[n - 1] = true;
      } else {
        ++out.removed;
      }
    }
    if (valid.size() == marker->numbers.size()) {
      out.text.append(answer.substr(i, marker->length));
    } else if (!valid.empty()) {
      out.text += '[';
      for (std::size_t v = 0; v < valid.size(); ++v) {
        if (v > 0) out.text += ", ";
        out.text += std::to_string(valid[v]);
      }
      out.text += ']';
    } else if (!out.text.empty() && out.text.back() == ' ') {
      out.text.pop_back();
    }
    i += marker->length;
  }
  return out;
}

}  // namespace rag::chat

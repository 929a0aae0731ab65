#include "chat/text.hpp"

#include "common/text.hpp"
#include "common/utf8.hpp"
#include "retrieval/searcher.hpp"

namespace rag::chat {

std::string preview(std::string_view text, std::size_t max_chars) {
  const auto head = utf8_prefix(text, max_chars);
  std::string out(head);
  if (head.size() < text.size()) out += "...";
  return out;
}

std::vector<std::string_view> split_sentences(std::string_view text) {
  std::vector<std::string_view> out;
  auto emit = [&](std::size_t from, std::size_t to) {
    auto s = trim(text.substr(from, to - from));
    if (!s.empty()) out.push_back(s);
  };
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    std::size_t end = 0, next = 0;  // sentence end (exclusive) and where the next one starts
    if ((c == '.' || c == '!' || c == '?') &&
        (i + 1 == text.size() || is_ascii_space(text[i + 1]))) {
      end = next = i + 1;
    } else if (c == '\n' && i + 1 < text.size() && text[i + 1] == '\n') {
      end = i;
      next = i + 2;
    } else if (text.compare(i, 3, "\xE3\x80\x82") == 0) {  // U+3002 IDEOGRAPHIC FULL STOP
      end = next = i + 3;
    }
    if (next > 0) {
      emit(start, end);
      start = next;
      i = next - 1;
    }
  }
  if (start < text.size()) emit(start, text.size());
  return out;
}

bool is_blank_text(std::string_view text) { return retrieval::is_blank(text); }

}  // namespace rag::chat

#include "feedback/feedback_store.hpp"

namespace rag::feedback {

std::string_view to_string(Rating rating) { return rating == Rating::kUp ? "up" : "down"; }

std::string normalise_question(std::string_view question) {
  std::string out;
  bool space = false;
  for (const char c : question) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z')) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    } else if (u >= 'A' && u <= 'Z') {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(u - 'A' + 'a');
    } else if (u != '\'') {  // an apostrophe joins ("what's" → "whats")
      space = true;           // white space and other punctuation separate words
    }
  }
  return out;
}

}  // namespace rag::feedback

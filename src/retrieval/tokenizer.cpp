// Tokenizer implementation: a small UTF-8 decoder, a character classifier by Unicode block
// (no ICU dependency: separators are the punctuation/symbol/emoji blocks, everything else that
// is not a control character is a word character), case folding for the scripts named in the
// header, and a per-thread Snowball stemmer.
#include "retrieval/tokenizer.hpp"

#include "common/utf8.hpp"

#include <libstemmer.h>

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_set>

namespace rag::retrieval {
namespace {

constexpr char32_t kInvalid = 0xFFFD;

// Decodes one code point at text[i], advancing i; malformed input yields kInvalid.
char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(text[i++]);
  if (b0 < 0x80) return b0;
  int extra = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) { extra = 1; cp = b0 & 0x1F; }
  else if ((b0 & 0xF0) == 0xE0) { extra = 2; cp = b0 & 0x0F; }
  else if ((b0 & 0xF8) == 0xF0) { extra = 3; cp = b0 & 0x07; }
  else return kInvalid;
  for (int n = 0; n < extra; ++n) {
    if (i >= text.size()) return kInvalid;
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (b & 0x3F);
    ++i;
  }
  static constexpr std::array<char32_t, 4> kMin{0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  return cp;
}


enum class CharClass { kSeparator, kWord, kIdeograph, kIgnorable };

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

CharClass classify(char32_t c) {
  if (c < 0x80) {
    return (in(c, '0', '9') || in(c, 'a', 'z') || in(c, 'A', 'Z')) ? CharClass::kWord
                                                                   : CharClass::kSeparator;
  }
  if (in(c, 0x80, 0xBF)) {
    return (c == 0xAA || c == 0xB5 || c == 0xBA) ? CharClass::kWord : CharClass::kSeparator;
  }
  if (c == 0xD7 || c == 0xF7 || c == kInvalid) return CharClass::kSeparator;
  if (in(c, 0x300, 0x36F) || in(c, 0xFE00, 0xFE0F) || in(c, 0xE0000, 0xE007F) || c == 0x200B ||
      c == 0x00AD) {
    return CharClass::kIgnorable;  // combining marks, variation selectors, soft hyphen
  }
  static constexpr std::array<char32_t, 16> kPunct{0x37E, 0x387, 0x589, 0x5BE, 0x5C0, 0x5C3,
                                                   0x5F3, 0x5F4, 0x60C, 0x61B, 0x61F, 0x6D4,
                                                   0x964, 0x965, 0xFEFF, 0x1361};
  if (std::find(kPunct.begin(), kPunct.end(), c) != kPunct.end()) return CharClass::kSeparator;
  if (in(c, 0x3040, 0x30FF) || in(c, 0x3400, 0x4DBF) || in(c, 0x4E00, 0x9FFF) ||
      in(c, 0xF900, 0xFAFF) || in(c, 0x20000, 0x2FFFF)) {
    return c == 0x30FB ? CharClass::kSeparator : CharClass::kIdeograph;
  }
  if (in(c, 0x2000, 0x2BFF) || in(c, 0x2E00, 0x2E7F) || in(c, 0x3000, 0x303F) ||
      in(c, 0xE000, 0xF8FF) || in(c, 0xFE10, 0xFE6F) || in(c, 0xFF00, 0xFF0F) ||
      in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) ||
      in(c, 0xFFF0, 0xFFFF) || in(c, 0x1F000, 0x1FAFF)) {
    return CharClass::kSeparator;
  }
  return CharClass::kWord;
}

// Latin-1 Supplement letters 0xC0..0xFF folded to lower-case ASCII ("" = separator).
constexpr std::array<const char*, 64> kLatin1Fold{
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};

struct FoldRange {
  char32_t first, last;
  const char* ascii;
};
// Latin Extended-A (U+0100..U+017F), upper and lower case alike.
constexpr std::array<FoldRange, 22> kLatinExtAFold{{
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"}, {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"}, {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"}, {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"}, {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"},
}};

// Appends the lower-cased, diacritic-folded form of a word character.
void append_folded(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(in(c, 'A', 'Z') ? c + 32 : c);
  } else if (in(c, 0xC0, 0xFF)) {
    out += kLatin1Fold[c - 0xC0];
  } else if (in(c, 0x100, 0x17F)) {
    for (const auto& r : kLatinExtAFold) {
      if (in(c, r.first, r.last)) { out += r.ascii; break; }
    }
  } else if (in(c, 0xFF21, 0xFF3A) || in(c, 0xFF41, 0xFF5A)) {  // fullwidth Latin
    out += static_cast<char>('a' + (c - (c >= 0xFF41 ? 0xFF41 : 0xFF21)));
  } else if (in(c, 0xFF10, 0xFF19)) {
    out += static_cast<char>('0' + (c - 0xFF10));
  } else if (in(c, 0x391, 0x3A9) && c != 0x3A2) {  // Greek capitals
    append_utf8(out, c + 0x20);
  } else if (c == 0x3C2) {  // final sigma matches sigma
    append_utf8(out, 0x3C3);
  } else if (in(c, 0x410, 0x42F)) {  // Cyrillic capitals
    append_utf8(out, c + 0x20);
  } else if (in(c, 0x400, 0x40F)) {
    append_utf8(out, c + 0x50);
  } else {
    append_utf8(out, c);
  }
}

bool is_ascii_letter(char32_t c) { return in(c, 'a', 'z') || in(c, 'A', 'Z'); }

void flush(std::string& word, std::vector<std::string>& out) {
  if (!word.empty() && word.size() <= kMaxTokenBytes) out.push_back(word);
  word.clear();
}

// Per-thread Snowball stemmer (sb_stemmer is not thread-safe).
struct StemmerDeleter {
  void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};
sb_stemmer* thread_stemmer() {
  thread_local std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer(
      sb_stemmer_new("english", nullptr));
  return stemmer.get();
}

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    const char32_t c = next_code_point(text, i);
    switch (classify(c)) {
      case CharClass::kWord:
        append_folded(c, word);
        break;
      case CharClass::kIgnorable:
        break;
      case CharClass::kIdeograph:
        flush(word, out);
        append_utf8(word, c);
        flush(word, out);
        break;
      case CharClass::kSeparator: {
        // An apostrophe between two letters joins them ("don't" → "dont", "user's" → "users").
        const bool apostrophe = c == '\'' || c == 0x2019;
        if (apostrophe && !word.empty() && start > 0 &&
            is_ascii_letter(static_cast<unsigned char>(text[start - 1])) && i < text.size() &&
            is_ascii_letter(static_cast<unsigned char>(text[i]))) {
          break;
        }
        flush(word, out);
        break;
      }
    }
  }
  flush(word, out);
  return out;
}

bool is_stop_word(std::string_view word) {
  // NLTK's English list (apostrophes removed as split_words does) without the negations "no",
  // "nor", "not", which change a query's meaning.
  static const std::unordered_set<std::string_view> kStopWords{
      "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "youre", "youve",
      "youll", "youd", "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself",
      "she", "shes", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
      "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "thatll", "these",
      "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had",
      "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or",
      "because", "as", "until", "while", "of", "at", "by", "for", "with", "about", "against",
      "between", "into", "through", "during", "before", "after", "above", "below", "to", "from",
      "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once",
      "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more",
      "most", "other", "some", "such", "only", "own", "same", "so", "than", "too", "very", "s",
      "t", "can", "will", "just", "don", "dont", "should", "shouldve", "now", "d", "ll", "m", "o",
      "re", "ve", "y", "im", "ive", "id", "ill", "whats", "hows", "lets", "would", "could"};
  return kStopWords.contains(word);
}

std::string stem(std::string_view word) {
  const bool ascii = std::all_of(word.begin(), word.end(),
                                 [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
  sb_stemmer* stemmer = ascii ? thread_stemmer() : nullptr;
  if (stemmer == nullptr) return std::string(word);
  const sb_symbol* stemmed = sb_stemmer_stem(
      stemmer, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
  if (stemmed == nullptr) return std::string(word);  // out of memory: unstemmed is still usable
  return std::string(reinterpret_cast<const char*>(stemmed),
                     static_cast<std::size_t>(sb_stemmer_length(stemmer)));
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> words = split_words(text);
  std::vector<std::string> out;
  out.reserve(words.size());
  for (auto& w : words) {
    if (is_stop_word(w)) continue;
    out.push_back(stem(w));
  }
  return out;
}

}  // namespace rag::retrieval

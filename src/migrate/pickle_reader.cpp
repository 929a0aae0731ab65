// The list-of-str pickle subset (see pickle_reader.hpp). A tiny stack machine in the manner of
// CPython's _Unpickler, restricted to three kinds of values: the mark, the one list being
// built, and strings (held once in a pool; the stack and the memo refer to them by index, so a
// memo reference costs nothing until the final copy, which is capped).
#include "migrate/pickle_reader.hpp"

#include <cstdint>
#include <unordered_map>

#include "common/utf8.hpp"
#include "migrate/pickle_opcodes.hpp"

namespace rag::migrate {
namespace {

// Invariant: kList appears at most once on the stack (there is only one list); a kString's
// `index` is valid in Machine::pool_.
struct Value {
  enum class Kind { kList, kString } kind;
  std::uint32_t index = 0;
};

constexpr int kHighestProtocol = 5;

class Machine {
 public:
  explicit Machine(std::string_view bytes) : in_(bytes) {}

  Result<std::vector<std::string>> run() {
    while (pos_ < in_.size()) {
      const std::size_t at = pos_;
      const auto op = static_cast<unsigned char>(in_[pos_++]);
      if (op == '.') return finish(at);
      RAG_TRY(step(op, at));
    }
    return corrupt("the data ends without a STOP opcode", in_.size());
  }

 private:
  Result<void> step(unsigned char op, std::size_t at);

  Result<std::vector<std::string>> finish(std::size_t at) {
    if (pos_ != in_.size()) return corrupt("trailing bytes after STOP", pos_);
    if (!marks_.empty()) return corrupt("STOP with a MARK still open", at);
    if (stack_.size() != 1 || stack_[0].kind != Value::Kind::kList) {
      return invalid("the pickled object is not a list of str", at);
    }
    std::vector<std::string> out;
    out.reserve(list_.size());
    for (auto index : list_) out.push_back(pool_[index]);
    return out;
  }

  Result<std::uint64_t> read_le(std::size_t width) {
    if (in_.size() - pos_ < width) return corrupt("truncated operand", pos_);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    }
    pos_ += width;
    return v;
  }

  Result<void> push_string(std::size_t length_width, std::size_t at) {
    auto length = read_le(length_width);
    if (!length) return std::unexpected(length.error());
    if (*length > in_.size() - pos_) return corrupt("string length past the end of the data", at);
    std::string_view text = in_.substr(pos_, static_cast<std::size_t>(*length));
    pos_ += text.size();
    if (!is_valid_utf8(text)) return corrupt("string is not valid UTF-8", at);
    pool_.emplace_back(text);
    stack_.push_back({Value::Kind::kString, static_cast<std::uint32_t>(pool_.size() - 1)});
    return {};
  }

  Result<void> memo_put(std::uint64_t index, std::size_t at) {
    if (stack_.empty() || (!marks_.empty() && marks_.back() == stack_.size())) {
      return corrupt("memo store with nothing on the stack", at);
    }
    memo_[index] = stack_.back();
    return {};
  }

  Result<void> memo_get(std::uint64_t index, std::size_t at) {
    auto it = memo_.find(index);
    if (it == memo_.end()) return corrupt("memo reference to an unknown entry", at);
    stack_.push_back(it->second);
    return {};
  }

  // Appends stack_[from..] to the list at stack_[from - 1], then pops them.
  Result<void> append_from(std::size_t from, std::size_t at) {
    if (from == 0 || stack_[from - 1].kind != Value::Kind::kList) {
      return invalid("APPEND(S) to something that is not the list", at);
    }
    for (std::size_t i = from; i < stack_.size(); ++i) {
      if (stack_[i].kind != Value::Kind::kString) {
        return invalid("a list element is not a str (nested list)", at);
      }
      const auto& text = pool_[stack_[i].index];
      if (list_.size() >= kMaxPickleItems)
        return invalid("more strings than the import allows", at);
      if (text.size() > kMaxPickleTextBytes - total_bytes_) {
        return invalid("more text than the import allows", at);
      }
      total_bytes_ += text.size();
      list_.push_back(stack_[i].index);
    }
    stack_.resize(from);
    return {};
  }

  static std::unexpected<Error> corrupt(const std::string& what, std::size_t offset) {
    return fail(ErrorCode::kCorrupt,
                "malformed pickle at offset " + std::to_string(offset) + ": " + what);
  }
  static std::unexpected<Error> invalid(const std::string& what, std::size_t offset) {
    return fail(ErrorCode::kInvalidArgument,
                "unsupported pickle at offset " + std::to_string(offset) + ": " + what);
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;  // stack sizes at each open MARK
  std::unordered_map<std::uint64_t, Value> memo_;
  std::vector<std::string> pool_;    // every string read, in order
  std::vector<std::uint32_t> list_;  // the list's elements (indexes into pool_)
  bool have_list_ = false;
  std::size_t total_bytes_ = 0;
};

Result<void> Machine::step(unsigned char op, std::size_t at) {
  switch (op) {
    case 0x80: {  // PROTO
      auto version = read_le(1);
      if (!version) return std::unexpected(version.error());
      if (*version > kHighestProtocol) {
        return invalid("pickle protocol " + std::to_string(*version) + " is newer than 5", at);
      }
      return {};
    }
    case 0x95: {  // FRAME: a length prefix for what follows; the opcodes are read as usual
      auto length = read_le(8);
      if (!length) return std::unexpected(length.error());
      if (*length > in_.size() - pos_) return corrupt("frame longer than the data", at);
      return {};
    }
    case ']':  // EMPTY_LIST
      if (have_list_) return invalid("a second list (only a flat list of str is accepted)", at);
      have_list_ = true;
      stack_.push_back({Value::Kind::kList, 0});
      return {};
    case '(':  // MARK
      marks_.push_back(stack_.size());
      return {};
    case 'a':  // APPEND: the value and the list both above the innermost MARK, as in CPython
      if (stack_.size() < 2 || (!marks_.empty() && marks_.back() + 2 > stack_.size())) {
        return corrupt("APPEND needs a list and a value", at);
      }
      return append_from(stack_.size() - 1, at);
    case 'e': {  // APPENDS
      if (marks_.empty()) return corrupt("APPENDS without a MARK", at);
      const std::size_t from = marks_.back();
      marks_.pop_back();
      return append_from(from, at);
    }
    case 0x8c:  // SHORT_BINUNICODE
      return push_string(1, at);
    case 'X':  // BINUNICODE
      return push_string(4, at);
    case 0x8d:  // BINUNICODE8
      return push_string(8, at);
    case 0x94:  // MEMOIZE
      return memo_put(memo_.size(), at);
    case 'q':    // BINPUT
    case 'r': {  // LONG_BINPUT
      auto index = read_le(op == 'q' ? 1 : 4);
      if (!index) return std::unexpected(index.error());
      return memo_put(*index, at);
    }
    case 'h':    // BINGET
    case 'j': {  // LONG_BINGET
      auto index = read_le(op == 'h' ? 1 : 4);
      if (!index) return std::unexpected(index.error());
      return memo_get(*index, at);
    }
    default:
      return invalid("opcode " + describe_pickle_opcode(op) +
                         " is not allowed: only a list of str is read (nothing is executed)",
                     at);
  }
}

}  // namespace

Result<std::vector<std::string>> read_pickled_str_list(std::string_view bytes) {
  return Machine(bytes).run();
}

}  // namespace rag::migrate

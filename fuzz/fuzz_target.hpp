// The harness contract shared by every fuzz target: the portable libFuzzer entry point (so a
// target also runs under libFuzzer once the toolchain allows it), an optional one-time
// initialiser, and small oracles the targets use to turn a broken invariant into a crash the
// fuzzer can see (abort with the reason on stderr).
//
// Thread-safety: a target runs one input at a time on one thread (the driver's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional: called once before the first input (libFuzzer's signature). Weak, so a target
// without one links.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace rag::fuzz {

// A broken invariant: prints `what` and aborts (the fuzzer saves the input as a crash).
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

inline void check(bool ok, std::string_view what) {
  if (!ok) fail(what);
}

// A copy of the input at 8-byte alignment, which the readers of mapped files need (the map
// gives a page's).
struct Aligned {
  explicit Aligned(std::span<const std::uint8_t> in) : words((in.size() + 7) / 8) {
    if (!in.empty()) std::memcpy(words.data(), in.data(), in.size());
    bytes = std::as_bytes(std::span(words)).first(in.size());
  }
  std::vector<std::uint64_t> words;
  std::span<const std::byte> bytes;
};

// Strict UTF-8 (no overlongs, surrogates or values over U+10FFFF): what every text the server
// emits or stores must be.
inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    const unsigned c = p[i];
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// Reads the input a byte at a time for targets that take a few parameters before the payload.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}
  // The next byte, or 0 when the input is used up.
  std::uint8_t byte() { return pos_ < size_ ? static_cast<std::uint8_t>(data_[pos_++]) : 0; }
  // Everything not read yet.
  std::string_view rest() const { return {data_ + pos_, size_ - pos_}; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace rag::fuzz

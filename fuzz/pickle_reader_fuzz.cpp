// Fuzz target `pickle_reader`: `import-faiss` reads the Python design's documents.pkl (a
// pickled list of str) with rag::migrate::read_pickled_str_list, a hand-written subset of the
// pickle format. The input is the file. Oracles: no crash, no unbounded allocation (ASan's
// allocation limits), and every string it returns is valid UTF-8 (pickle stores str as UTF-8;
// anything else must be an error, not a string the index then serves).
#include "fuzz_target.hpp"
#include "migrate/pickle_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto list = rag::migrate::read_pickled_str_list(bytes);
  if (!list) {
    rag::fuzz::check(!list.error().message.empty(), "pickle error without a message");
    return 0;
  }
  for (const auto& s : *list)
    rag::fuzz::check(rag::fuzz::valid_utf8(s), "pickle string is not valid UTF-8");
  return 0;
}

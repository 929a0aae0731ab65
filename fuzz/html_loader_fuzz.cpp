// Fuzz target `html_loader`: any bytes as an .html file through ingest::load_html (gumbo),
// then the splitter. Oracles in loader_checks.hpp (valid UTF-8 everywhere, heading levels).
#include "ingest/loaders.hpp"
#include "loader_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  auto doc = rag::ingest::load_html(html);
  if (doc) rag::fuzz::check_document(*doc);
  return 0;
}

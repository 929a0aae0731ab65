// Request framing rules (see framing.hpp).
#include "http/framing.hpp"

#include <boost/beast/core/string.hpp>
#include <iterator>

#include "common/text.hpp"

namespace rag::http {

namespace bhttp = boost::beast::http;

bool acceptable_transfer_encoding(const RequestParser& parser) {
  const auto& head = parser.get();
  const auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
  if (first == last) return true;
  if (std::next(first) != last || !parser.chunked()) return false;
  const auto value = first->value();
  return iequals(trim({value.data(), value.size()}, kSpaceTab), "chunked");
}

std::size_t field_count(const bhttp::fields& fields) {
  return static_cast<std::size_t>(std::distance(fields.begin(), fields.end()));
}

}  // namespace rag::http

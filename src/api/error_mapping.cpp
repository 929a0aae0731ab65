#include "api/error_mapping.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <cmath>

namespace rag::api {

HttpError map_error(const Error& error) {
  // Whole seconds in [1, one day]: a NaN, an infinity or 1e300 must not reach the cast.
  auto retry_after = [&](double fallback) {
    const double s = error.retry_after_s > 0 ? error.retry_after_s : fallback;
    return static_cast<int>(std::clamp(std::ceil(s), 1.0, 86400.0));
  };
  switch (error.code) {
    case ErrorCode::kRateLimited:
      return {429, "Rate limit exceeded. Please try again in a moment.", retry_after(1)};
    case ErrorCode::kTimeout:
      return {504, "Request timed out. Please try again.", 0};
    case ErrorCode::kUnavailable:
    case ErrorCode::kUpstream:
      return {502, "Upstream model error", 0};
    case ErrorCode::kOverloaded:
      return {503, "Server is overloaded. Please try again.", retry_after(1)};
    case ErrorCode::kIndexUnavailable:
      return {503, "Index not loaded", retry_after(5)};
    case ErrorCode::kCancelled:
      return {499, "Client closed request", 0};
    case ErrorCode::kInvalidArgument:
      return {400, "Bad request", 0};
    default:
      return {500, "Internal Server Error", 0};
  }
}

http::Response error_to_response(const Error& error, unsigned version) {
  const auto mapped = map_error(error);
  auto res = http::error_response(static_cast<http::Status>(mapped.status), mapped.detail, version);
  if (mapped.retry_after_s > 0)
    res.set(boost::beast::http::field::retry_after, std::to_string(mapped.retry_after_s));
  return res;
}

}  // namespace rag::api

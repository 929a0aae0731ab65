#include "observability/http_metrics.hpp"

#include <array>
#include <charconv>
#include <string>
#include <unordered_map>

#include "observability/metrics.hpp"

namespace rag::observability {

std::string_view method_label(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (const auto known : kKnown)
    if (method == known) return known;
  return "OTHER";
}

void record_http_request(std::string_view route, std::string_view raw_method, unsigned status,
                         double seconds) {
  const std::string_view method = method_label(raw_method);
  struct Series {
    Counter* requests;
    Histogram* latency;
  };
  thread_local std::unordered_map<std::string, Series> cache;
  thread_local std::string key;  // reused: building the key allocates nothing once warm
  key.clear();
  key.append(route).append(" ").append(method).append(" ");
  char digits[8];
  key.append(digits, std::to_chars(digits, digits + sizeof digits, status).ptr);
  auto it = cache.find(key);
  if (it == cache.end()) {
    auto& registry = Registry::global();
    const std::string r(route), m(method);
    Series s{&registry.counter("rag_http_requests_total", "HTTP requests by route, method and status.",
                               {{"route", r}, {"method", m}, {"status", std::to_string(status)}}),
             &registry.histogram("rag_http_request_duration_seconds",
                                 "HTTP request latency by route and method.",
                                 {{"route", r}, {"method", m}})};
    it = cache.emplace(key, s).first;
  }
  it->second.requests->inc();
  it->second.latency->observe(seconds);
}

}  // namespace rag::observability

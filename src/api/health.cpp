#include "api/health.hpp"

#include <chrono>

#include "common/timestamp.hpp"
#include "observability/logging.hpp"

namespace rag::api {

using observability::append_json_string;

http::Handler root(std::string server_name) {
  std::string prefix = "{\"message\":";
  append_json_string(prefix, server_name);
  prefix += ",\"status\":\"running\",\"timestamp\":\"";
  return [prefix](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
    std::string body;
    body.reserve(prefix.size() + 32);
    body.append(prefix);
    // Digits, '-', 'T', ':' and '.': nothing to escape; nothing allocated.
    append_iso_timestamp(body, std::chrono::system_clock::now());
    body.append("\"}");
    co_return http::json_response(http::Status::ok, std::move(body));
  };
}

http::Handler healthz() {
  return [](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(http::Status::ok, R"({"status":"alive"})");
  };
}

http::Handler readyz(const observability::Readiness& readiness) {
  return [&readiness](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
    const auto report = readiness.evaluate();
    std::string body = report.ready ? R"({"status":"ready","checks":{)"
                                    : R"({"status":"not ready","checks":{)";
    for (size_t i = 0; i < report.checks.size(); ++i) {
      if (i) body += ',';
      append_json_string(body, report.checks[i].first);
      body += ':';
      append_json_string(body, report.checks[i].second);
    }
    body += "},\"reasons\":[";
    for (size_t i = 0; i < report.reasons.size(); ++i) {
      if (i) body += ',';
      append_json_string(body, report.reasons[i]);
    }
    body += "]}";
    auto res = http::json_response(
        report.ready ? http::Status::ok : http::Status::service_unavailable, std::move(body));
    if (!report.ready) res.set(boost::beast::http::field::retry_after, "5");
    co_return res;
  };
}

}  // namespace rag::api

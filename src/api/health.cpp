#include "api/health.hpp"

#include <chrono>

#include "observability/logging.hpp"

namespace rag::api {

using observability::append_json_string;

namespace {

// Appends "YYYY-MM-DDTHH:MM:SS.ffffff" for now: the date and time of day come from
// observability::iso_timestamp once a second per thread, the microseconds are written here,
// so a request allocates nothing for its timestamp.
void append_timestamp(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  thread_local std::chrono::sys_seconds cached_second{};
  thread_local std::string cached;  // "YYYY-MM-DDTHH:MM:SS"
  if (cached.empty() || secs != cached_second) {
    cached = observability::iso_timestamp(secs);
    cached.resize(cached.find('.'));
    cached_second = std::chrono::sys_seconds(secs.time_since_epoch());
  }
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
  char text[8] = {'.'};
  for (int i = 6; i >= 1; --i, micros /= 10) text[i] = static_cast<char>('0' + micros % 10);
  out.append(cached).append(text, 7);
}

}  // namespace

http::Handler root(std::string server_name) {
  std::string prefix = "{\"message\":";
  append_json_string(prefix, server_name);
  prefix += ",\"status\":\"running\",\"timestamp\":\"";
  return [prefix](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
    std::string body;
    body.reserve(prefix.size() + 32);
    body.append(prefix);
    append_timestamp(body);  // digits, '-', 'T', ':' and '.': nothing to escape
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

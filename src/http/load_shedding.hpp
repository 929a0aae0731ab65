// Load shedding: at most `max_in_flight` requests run at once; beyond that a request is
// answered 503 + Retry-After at once, so overload never becomes an unbounded queue. The
// `always_admit` paths (the liveness and readiness probes) are never shed. The 503's body is
// {"detail": kShedMessage} unless a RefusalBody renders another one for the request's path
// (the OpenAI-compatible routes answer in OpenAI's error shape).
//
// Thread-safety: one LoadShedder shared by all connections; lock-free.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/types.hpp"

namespace rag::observability {
struct Telemetry;
}

namespace rag::http {

inline constexpr std::string_view kShedMessage = "Server is at capacity. Please retry shortly.";

class LoadShedder {
 public:
  // The JSON body of a shed request's 503, given its path ("" for the default); called on
  // any thread.
  using RefusalBody = std::function<std::string(std::string_view path)>;

  LoadShedder(std::size_t max_in_flight, std::vector<std::string> always_admit,
              RefusalBody refusal_body = {})
      : max_(max_in_flight),
        always_admit_(std::move(always_admit)),
        refusal_body_(std::move(refusal_body)) {}

  // Saturated: at least 90% of the bound in use (reported by /readyz).
  bool saturated() const { return in_flight_.load() * 10 >= max_ * 9; }
  std::size_t in_flight() const { return in_flight_.load(); }
  std::uint64_t shed() const { return shed_.load(); }

  // Applies to every path but the always-admitted ones.
  Around middleware();

  // rag_http_requests_in_flight, rag_http_requests_shed_total and the "load" readiness
  // check (not ready while saturated). At start-up; REQUIRES: this outlives every scrape.
  void publish(observability::Telemetry& telemetry) const;

 private:
  const std::size_t max_;
  const std::vector<std::string> always_admit_;
  const RefusalBody refusal_body_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::uint64_t> shed_{0};
};

}  // namespace rag::http

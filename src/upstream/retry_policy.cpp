// Implementation of the retry rules (see retry_policy.hpp and docs/configuration.md).
#include "upstream/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace rag::upstream {
namespace {

double default_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

const std::string* find_header(const Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 408: return "Request Timeout";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace

RetryPolicy::RetryPolicy(Options options, Random random)
    : options_(options), random_(random ? std::move(random) : Random(default_random)) {}

bool RetryPolicy::is_retryable(const AttemptOutcome& outcome) {
  using Kind = AttemptOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kHttpStatus:
      return outcome.status == 429 || outcome.status == 408 ||
             (outcome.status >= 500 && outcome.status <= 599);
    case Kind::kConnectError:
    case Kind::kTimeout:
    case Kind::kConnectionLost:
      return true;
    case Kind::kCancelled:
    case Kind::kProtocol:
    case Kind::kTlsError:
      return false;
  }
  return false;
}

Seconds RetryPolicy::backoff(int attempt) const {
  const int exponent = std::clamp(attempt - 1, 0, 30);
  const double base = options_.base_delay.count() * std::ldexp(1.0, exponent);
  const double capped = std::min(base, options_.max_delay.count());
  const double jittered = capped * (1.0 + options_.jitter * random_());
  return Seconds(std::min(jittered, options_.max_delay.count()));
}

std::optional<Seconds> RetryPolicy::suggested_wait(const Headers& headers, SystemTime now) {
  for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
    if (const auto* v = find_header(headers, name))
      if (auto wait = parse_delay(*v, Seconds(0.001))) return wait;
  }
  if (const auto* v = find_header(headers, "retry-after")) return parse_retry_after(*v, now);
  return std::nullopt;
}

std::string RetryPolicy::describe(const AttemptOutcome& outcome) {
  using Kind = AttemptOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kHttpStatus: {
      if (outcome.status == 429) return "Rate limit exceeded";
      std::string text = "HTTP " + std::to_string(outcome.status);
      if (auto phrase = reason_phrase(outcome.status); !phrase.empty()) {
        text += ' ';
        text += phrase;
      }
      return text;
    }
    case Kind::kConnectError: return "Connection failed: " + outcome.detail;
    case Kind::kTimeout: return "Request timed out";
    case Kind::kConnectionLost: return "Connection lost: " + outcome.detail;
    case Kind::kCancelled: return "Request cancelled";
    case Kind::kProtocol: return "Malformed upstream response: " + outcome.detail;
    case Kind::kTlsError: return "TLS failed: " + outcome.detail;
  }
  return "error";
}

Error RetryPolicy::final_error(const AttemptOutcome& outcome,
                               std::optional<Seconds> suggestion) const {
  using Kind = AttemptOutcome::Kind;
  Error e;
  e.retry_after_s = suggestion ? suggestion->count() : 0;
  switch (outcome.kind) {
    case Kind::kHttpStatus:
      if (outcome.status == 429) {
        e.code = ErrorCode::kRateLimited;
        e.message = "upstream rate limit persisted";
        if (!suggestion) e.retry_after_s = std::max(1.0, options_.base_delay.count());
      } else {
        e.code = ErrorCode::kUpstream;
        e.message = "upstream answered " + describe(outcome);
      }
      break;
    case Kind::kConnectError:
    case Kind::kTlsError:
      e.code = ErrorCode::kUnavailable;
      e.message = describe(outcome);
      break;
    case Kind::kTimeout:
      e.code = ErrorCode::kTimeout;
      e.message = "upstream request timed out";
      break;
    case Kind::kConnectionLost:
    case Kind::kProtocol:
      e.code = ErrorCode::kUpstream;
      e.message = describe(outcome);
      break;
    case Kind::kCancelled:
      e.code = ErrorCode::kCancelled;
      e.message = "request cancelled";
      break;
  }
  return e;
}

RetryDecision RetryPolicy::decide(int attempt, const AttemptOutcome& outcome,
                                  SystemTime now) const {
  RetryDecision d;
  if (!is_retryable(outcome)) {
    d.final_response = outcome.kind == AttemptOutcome::Kind::kHttpStatus;
    d.error = final_error(outcome, std::nullopt);
    return d;
  }
  std::optional<Seconds> suggestion;
  if (outcome.kind == AttemptOutcome::Kind::kHttpStatus)
    suggestion = suggested_wait(outcome.headers, now);
  if (suggestion && *suggestion > options_.max_suggested) {
    // Too long to wait out: the client hears 429 + Retry-After at once (docs/configuration.md,
    // LLM_MAX_RETRIES).
    d.error = Error{ErrorCode::kRateLimited, "upstream asks to wait longer than we wait",
                    std::ceil(suggestion->count())};
    return d;
  }
  if (attempt >= max_attempts()) {
    d.error = final_error(outcome, suggestion);
    return d;
  }
  d.retry = true;
  d.delay = suggestion ? *suggestion : backoff(attempt);
  return d;
}

}  // namespace rag::upstream

// The retry loop around one upstream call (see caller.hpp).
#include "upstream/caller.hpp"

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace rag::upstream {
namespace asio = boost::asio;
using Kind = AttemptOutcome::Kind;
using Strand = asio::strand<asio::any_io_executor>;

namespace {

asio::awaitable<bool> sleep_on(Strand strand, Seconds delay, CancelToken cancel) {
  auto timer = std::make_shared<asio::steady_timer>(strand);
  timer->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
  // Runs on the strand after this coroutine suspended in async_wait, so it always cancels it.
  CancelRegistration registration(cancel, [timer, strand] {
    asio::post(strand, [timer] { timer->cancel(); });
  });
  boost::system::error_code ec;
  co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !(cancel && cancel->cancelled());
}

// Whether an attempt's outcome says the upstream is unhealthy (for the breaker).
bool is_health_failure(const AttemptOutcome& o) {
  switch (o.kind) {
    case Kind::kHttpStatus: return o.status == 408 || o.status >= 500;
    case Kind::kConnectError:
    case Kind::kTimeout:
    case Kind::kConnectionLost:
    case Kind::kTlsError: return true;
    case Kind::kCancelled:
    case Kind::kProtocol: return false;
  }
  return false;
}

}  // namespace

Sleeper timer_sleeper(asio::any_io_executor executor) {
  return [executor](Seconds delay, CancelToken cancel) -> asio::awaitable<bool> {
    Strand strand = asio::make_strand(executor);
    return asio::co_spawn(strand, sleep_on(strand, delay, std::move(cancel)),
                          asio::use_awaitable);
  };
}

RetryingCaller::RetryingCaller(HttpClient& client, RetryPolicy policy, CircuitBreaker& breaker,
                               Stats& stats, Options options, Sleeper sleeper)
    : client_(client),
      policy_(std::move(policy)),
      breaker_(breaker),
      stats_(stats),
      options_(options),
      sleeper_(sleeper ? std::move(sleeper) : timer_sleeper(client.executor())) {}

asio::awaitable<Result<HttpResponse>> RetryingCaller::call(const HttpRequest& request,
                                                          CancelToken cancel, CallHooks hooks) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + options_.deadline;
  const int attempts = policy_.max_attempts();
  for (int attempt = 1;; ++attempt) {
    if (cancel && cancel->cancelled()) co_return fail(ErrorCode::kCancelled, "request cancelled");
    if (!breaker_.allow()) {
      Error e{ErrorCode::kUnavailable, "upstream circuit open", breaker_.retry_after_s()};
      co_return std::unexpected(std::move(e));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      breaker_.record_neutral();
      co_return fail(ErrorCode::kTimeout, "upstream call deadline passed");
    }
    stats_.on_attempt(attempt > 1);
    if (hooks.before_attempt) hooks.before_attempt();
    HttpResult result =
        co_await client_.send(request, std::min(options_.attempt_timeout, left), cancel, hooks.sink);

    AttemptOutcome outcome;
    if (result) {
      outcome.status = result->status;
      if (result->status / 100 == 2) {
        breaker_.record_success();
        co_return std::move(*result);
      }
      outcome.headers = result->headers;
      if (result->status == 429) {
        stats_.on_429();
        spdlog::warn("Rate limit detected: 429 Too Many Requests");
      }
    } else {
      outcome.kind = result.error().kind;
      outcome.detail = result.error().detail;
    }
    if (is_health_failure(outcome))
      breaker_.record_failure();
    else if (outcome.kind == Kind::kCancelled)
      breaker_.record_neutral();
    else
      breaker_.record_success();

    RetryDecision decision = policy_.decide(attempt, outcome, std::chrono::system_clock::now());
    if (decision.final_response) co_return std::move(*result);
    if (!decision.retry) co_return std::unexpected(std::move(decision.error));
    if ((hooks.may_retry && !hooks.may_retry()) ||
        Clock::now() + std::chrono::duration_cast<Clock::duration>(decision.delay) >= deadline)
      co_return std::unexpected(policy_.final_error(
          outcome, RetryPolicy::suggested_wait(outcome.headers, std::chrono::system_clock::now())));
    spdlog::warn("Retryable error on attempt {}/{}: {}. Retrying in {:.1f}s...", attempt,
                 attempts, RetryPolicy::describe(outcome), decision.delay.count());
    if (!co_await sleeper_(decision.delay, cancel))
      co_return fail(ErrorCode::kCancelled, "request cancelled");
  }
}

}  // namespace rag::upstream

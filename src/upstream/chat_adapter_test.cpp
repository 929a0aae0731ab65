// Chat adapter + HTTP client + retry loop against the in-process fake upstream: wire format,
// headers, streaming, and every retry / timeout / breaker / cancellation rule of
// docs/configuration.md.
#include <gtest/gtest.h>

#include <thread>

#include "upstream/testing/fake_upstream_config.hpp"

namespace rag::upstream {
namespace {

using namespace std::chrono_literals;
using rag::testing::LogCapture;
using rag::testing::IoThreads;
using fakes::FakeUpstream;

class ChatAdapterTest : public ::testing::Test {
 protected:
  ChatAdapterTest() : fake_(FakeUpstream::Options{}) {}

  void TearDown() override {
    const std::string logged = log_.text();
    EXPECT_EQ(logged.find(testing::kAzureKey), std::string::npos) << logged;
    EXPECT_EQ(logged.find(testing::kOpenAiKey), std::string::npos) << logged;
  }

  std::unique_ptr<ChatModel> azure(AdapterOptions o = testing::fast_options()) {
    return make_chat_model(testing::azure_config(fake_.base_url()), io_.executor(), std::move(o));
  }
  std::unique_ptr<ChatModel> openai(AdapterOptions o = testing::fast_options()) {
    return make_chat_model(testing::openai_config(fake_.base_url()), io_.executor(), std::move(o));
  }

  Result<ChatAnswer> complete(ChatModel& model, CancelToken cancel = {}) {
    return io_.run(model.complete(request_, cancel));
  }

  Result<ChatAnswer> stream(ChatModel& model, std::vector<std::string>& deltas) {
    DeltaSink sink = [&deltas](std::string_view d) -> boost::asio::awaitable<void> {
      deltas.emplace_back(d);
      co_return;
    };
    return io_.run(model.stream(request_, sink, {}));
  }

  void expect_clean(const Error& e) {
    EXPECT_EQ(e.message.find(testing::kAzureKey), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find(testing::kOpenAiKey), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find("127.0.0.1"), std::string::npos) << e.message;
  }

  LogCapture log_;
  FakeUpstream fake_;
  IoThreads io_;
  ChatRequest request_{{{"system", "be brief"}, {"user", "What is the refund policy?"}}, 0.1, 50};
};

TEST_F(ChatAdapterTest, AzurePostsExactlyToTheEndpointWithApiKey) {
  auto model = azure();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->describe(), "azure:gpt-test");
  auto answer = complete(*model);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_NE(answer->content.find("FAKE-ANSWER"), std::string::npos);
  EXPECT_NE(answer->content.find("refund"), std::string::npos);
  EXPECT_EQ(answer->finish_reason, "stop");
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target,
            "/openai/deployments/gpt-test/chat/completions?api-version=2024-02-01");
  EXPECT_EQ(requests[0].header("api-key"), testing::kAzureKey);
  EXPECT_EQ(requests[0].header("authorization"), "");
  EXPECT_EQ(requests[0].body.find("\"model\""), std::string::npos);
  EXPECT_NE(requests[0].body.find("\"max_tokens\":50"), std::string::npos);
}

TEST_F(ChatAdapterTest, OpenAiUsesBaseUrlBearerAndModel) {
  auto model = openai();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->describe(), "openai:gpt-fake");
  auto answer = complete(*model);
  ASSERT_TRUE(answer) << answer.error().message;
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/chat/completions");
  EXPECT_EQ(requests[0].header("authorization"), std::string("Bearer ") + testing::kOpenAiKey);
  EXPECT_EQ(requests[0].header("api-key"), "");
  EXPECT_NE(requests[0].body.find("\"model\":\"gpt-fake\""), std::string::npos);
}

TEST_F(ChatAdapterTest, NotConfiguredGivesNull) {
  EXPECT_EQ(make_chat_model(config::Config{}, io_.executor()), nullptr);
}

TEST_F(ChatAdapterTest, ReusesKeepAliveConnections) {
  auto model = openai();
  ASSERT_TRUE(complete(*model));
  ASSERT_TRUE(complete(*model));
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].connection, requests[1].connection);
}

// A pooled connection the upstream closed while idle is not reused, and the request is sent
// exactly once (a re-send would reach the upstream without counting as an attempt).
TEST_F(ChatAdapterTest, DoesNotReuseAConnectionTheUpstreamClosed) {
  fake_.script(R"([{"close_after":true}])");
  auto model = openai();
  ASSERT_TRUE(complete(*model));
  // Wait until the fake has closed its side (its FIN is then queued on our socket).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (fake_.closed_connections() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  ASSERT_EQ(fake_.closed_connections(), 1u);
  ASSERT_TRUE(complete(*model));
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].connection, requests[1].connection);
  EXPECT_EQ(model->stats()->snapshot().attempts, 2u);
}

TEST_F(ChatAdapterTest, AzureStreamDeliversDeltasAndToleratesFilterChunks) {
  auto model = azure();
  std::vector<std::string> deltas;
  auto answer = stream(*model, deltas);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_GE(deltas.size(), 3u);
  std::string joined;
  for (const auto& d : deltas) joined += d;
  EXPECT_EQ(joined, answer->content);
  EXPECT_NE(answer->content.find("FAKE-ANSWER: what is the refund policy"), std::string::npos);
  EXPECT_EQ(answer->finish_reason, "stop");
  EXPECT_NE(fake_.requests().at(0).body.find("\"stream\":true"), std::string::npos);
}

// Deltas reach the sink as the upstream sends them, not when the stream ends: with 200 ms
// between the fake's deltas, the first and the last arrive far apart (all at once if the
// client buffered the body).
TEST_F(ChatAdapterTest, StreamDeliversDeltasAsTheyArrive) {
  ASSERT_TRUE(fake_.configure(R"({"stream_delay_ms":200})"));
  auto model = openai();
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  DeltaSink sink = [&arrivals](std::string_view) -> boost::asio::awaitable<void> {
    arrivals.push_back(std::chrono::steady_clock::now());
    co_return;
  };
  auto answer = io_.run(model->stream(request_, sink, {}));
  ASSERT_TRUE(answer) << answer.error().message;
  ASSERT_GE(arrivals.size(), 3u);
  EXPECT_GE(arrivals.back() - arrivals.front(), 200ms);
}

// An upstream that never stops talking cannot grow an answer without bound: past
// max_answer_bytes the stream ends as an upstream error, after what was delivered so far.
TEST_F(ChatAdapterTest, AnswerLongerThanTheCapFailsStreamedOrNot) {
  std::string words;
  for (int i = 0; i < 200; ++i) words += "word" + std::to_string(i) + " ";
  ASSERT_TRUE(fake_.configure(R"({"answer":")" + words + R"("})"));
  auto options = testing::fast_options();
  options.max_answer_bytes = 100;
  auto model = openai(options);
  std::vector<std::string> deltas;
  auto streamed = stream(*model, deltas);
  ASSERT_FALSE(streamed);
  EXPECT_EQ(streamed.error().code, ErrorCode::kUpstream);
  EXPECT_NE(streamed.error().message.find("longer than 100 bytes"), std::string::npos)
      << streamed.error().message;
  std::size_t delivered = 0;
  for (const auto& d : deltas) delivered += d.size();
  EXPECT_GT(delivered, 0u);
  EXPECT_LE(delivered, 100u);
  auto whole = complete(*model);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().code, ErrorCode::kUpstream);
  EXPECT_EQ(fake_.requests().size(), 2u);  // neither is retried
}

TEST_F(ChatAdapterTest, HonoursRetryAfterOn429) {
  fake_.script(R"([{"status":429,"headers":{"Retry-After":"1"}}])");
  auto model = azure();
  auto answer = complete(*model);
  ASSERT_TRUE(answer) << answer.error().message;
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  const double gap = requests[1].time_s - requests[0].time_s;
  EXPECT_GE(gap, 0.95);
  EXPECT_LT(gap, 3.0);
  const std::string logged = log_.text();
  EXPECT_NE(logged.find("Rate limit detected: 429 Too Many Requests"), std::string::npos);
  EXPECT_NE(logged.find("Retryable error on attempt 1/3: Rate limit exceeded. Retrying in 1.0s..."),
            std::string::npos)
      << logged;
  EXPECT_EQ(model->stats()->snapshot().rate_limited_429, 1u);
  EXPECT_EQ(model->stats()->snapshot().retries, 1u);
}

TEST_F(ChatAdapterTest, RetryAfterMsWinsOverBackoff) {
  fake_.script(R"([{"status":429,"headers":{"retry-after-ms":"300","Retry-After":"9"}}])");
  auto options = testing::fast_options();
  options.retry.base_delay = Seconds(5.0);
  options.retry.max_delay = Seconds(10.0);
  auto model = azure(options);
  ASSERT_TRUE(complete(*model));
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  const double gap = requests[1].time_s - requests[0].time_s;
  EXPECT_GE(gap, 0.28);
  EXPECT_LT(gap, 2.0);
}

TEST_F(ChatAdapterTest, Retries429WithoutRetryAfterUsingBackoff) {
  fake_.script(R"([{"status":429,"headers":{}}])");
  auto options = testing::fast_options();
  options.retry.base_delay = Seconds(0.2);
  auto model = azure(options);
  ASSERT_TRUE(complete(*model));
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].time_s - requests[0].time_s, 0.19);
  EXPECT_NE(log_.text().find("Retrying in 0.2s..."), std::string::npos);
}

TEST_F(ChatAdapterTest, ServerErrorsAreRetriedWithExponentialDelays) {
  fake_.script(R"([500, 503])");
  std::vector<double> waits;
  auto options = testing::fast_options();
  options.sleeper = [&waits](Seconds d, CancelToken) -> boost::asio::awaitable<bool> {
    waits.push_back(d.count());
    co_return true;
  };
  auto model = azure(options);
  auto answer = complete(*model);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(fake_.requests().size(), 3u);
  ASSERT_EQ(waits.size(), 2u);
  EXPECT_DOUBLE_EQ(waits[0], 0.05);
  EXPECT_DOUBLE_EQ(waits[1], 0.1);
  EXPECT_NE(log_.text().find("Retryable error on attempt 2/3: HTTP 503 Service Unavailable"),
            std::string::npos);
}

TEST_F(ChatAdapterTest, PersistentRateLimitEndsAsRateLimited) {
  fake_.script(R"([429, 429, 429, 429])");
  auto model = azure();
  auto answer = complete(*model);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kRateLimited);
  EXPECT_GT(answer.error().retry_after_s, 0);
  EXPECT_EQ(fake_.requests().size(), 3u);
  const auto stats = model->stats()->snapshot();
  EXPECT_EQ(stats.calls, 1u);
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.rate_limited_429, 3u);
  EXPECT_EQ(stats.failures_rate_limited, 1u);
}

TEST_F(ChatAdapterTest, SuggestionOverTwoMinutesIsReturnedAtOnce) {
  fake_.script(R"([{"status":429,"headers":{"Retry-After":"300"}}])");
  auto model = azure();
  auto answer = complete(*model);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kRateLimited);
  EXPECT_DOUBLE_EQ(answer.error().retry_after_s, 300);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ChatAdapterTest, ClientErrorsAreNotRetried) {
  fake_.script(R"([{"status":400,"body":{"error":{"message":"bad request: max_tokens"}}}, 401])");
  auto model = azure();
  auto first = complete(*model);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kUpstream);
  EXPECT_NE(first.error().message.find("400"), std::string::npos);
  EXPECT_NE(first.error().message.find("max_tokens"), std::string::npos);
  auto second = complete(*model);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("401"), std::string::npos);
  expect_clean(second.error());
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST_F(ChatAdapterTest, UpstreamEchoingTheKeyIsRedacted) {
  fake_.script(std::string(R"([{"status":401,"body":{"error":{"message":"bad key )") +
               testing::kOpenAiKey + R"("}}}])");
  auto model = openai();
  auto answer = complete(*model);
  ASSERT_FALSE(answer);
  expect_clean(answer.error());
  EXPECT_NE(answer.error().message.find("***"), std::string::npos);
}

TEST_F(ChatAdapterTest, HangPastTimeoutIsTimeout) {
  fake_.script(R"([{"hang":true},{"hang":true}])");
  auto options = testing::fast_options();
  options.retry.max_attempts = 2;
  options.call.attempt_timeout = 300ms;
  auto model = azure(options);
  const auto start = std::chrono::steady_clock::now();
  auto answer = complete(*model);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(fake_.requests().size(), 2u);
  EXPECT_GE(took, 0.6);
  EXPECT_LT(took, 5.0);
  expect_clean(answer.error());
}

TEST_F(ChatAdapterTest, OverallDeadlineBoundsTheWholeCall) {
  fake_.script(R"([{"hang":true},{"hang":true},{"hang":true},{"hang":true}])");
  auto options = testing::fast_options();
  options.retry.max_attempts = 4;
  options.call.attempt_timeout = 5000ms;
  options.call.deadline = 400ms;
  auto model = azure(options);
  const auto start = std::chrono::steady_clock::now();
  auto answer = complete(*model);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kTimeout);
  EXPECT_LT(took, 3.0);
}

TEST_F(ChatAdapterTest, ConnectionResetIsRetried) {
  fake_.script(R"([{"reset":true}])");
  auto model = azure();
  auto answer = complete(*model);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST_F(ChatAdapterTest, MalformedJsonIsAnUpstreamErrorNotRetried) {
  fake_.script(R"([{"malformed_json":true}])");
  auto model = azure();
  auto answer = complete(*model);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUpstream);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ChatAdapterTest, TruncatedStreamAfterDeltasFailsWithoutRetry) {
  fake_.script(R"([{"truncate_stream_after":2}])");
  auto model = azure();
  std::vector<std::string> deltas;
  auto answer = stream(*model, deltas);
  ASSERT_FALSE(answer) << answer->content << " deltas=" << deltas.size()
                       << " requests=" << fake_.requests().size();
  EXPECT_EQ(answer.error().code, ErrorCode::kUpstream);
  EXPECT_NE(answer.error().message.find("stream interrupted"), std::string::npos);
  EXPECT_EQ(deltas.size(), 2u);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ChatAdapterTest, StreamCutBeforeAnyDeltaIsRetried) {
  fake_.script(R"([{"truncate_stream_after":0}])");
  auto model = azure();
  std::vector<std::string> deltas;
  auto answer = stream(*model, deltas);
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(fake_.requests().size(), 2u);
  std::string joined;
  for (const auto& d : deltas) joined += d;
  EXPECT_EQ(joined, answer->content);
}

TEST_F(ChatAdapterTest, CancellationStopsAHangingCall) {
  fake_.script(R"([{"hang":true}])");
  auto options = testing::fast_options();
  options.call.attempt_timeout = 20000ms;
  auto model = azure(options);
  auto cancel = make_cancel_token();
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(200ms);  // the caller "goes away" mid-call
    cancel->cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto answer = complete(*model, cancel);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  canceller.join();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kCancelled);
  EXPECT_LT(took, 5.0);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ChatAdapterTest, CancellationStopsTheWaitBetweenAttempts) {
  fake_.script(R"([{"status":429,"headers":{"Retry-After":"60"}}])");
  auto options = testing::fast_options();
  options.call.deadline = 300000ms;  // room to wait the 60 s out
  auto model = azure(options);
  auto cancel = make_cancel_token();
  std::thread canceller([cancel] {
    std::this_thread::sleep_for(200ms);  // the caller goes away while we wait 60 s
    cancel->cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto answer = complete(*model, cancel);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  canceller.join();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kCancelled);
  EXPECT_LT(took, 10.0);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ChatAdapterTest, SuggestionBeyondTheDeadlineIsReturnedAsRateLimited) {
  fake_.script(R"([{"status":429,"headers":{"Retry-After":"60"}}])");
  auto model = azure();  // 20 s deadline
  auto answer = complete(*model);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kRateLimited);
  EXPECT_DOUBLE_EQ(answer.error().retry_after_s, 60);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(ChatAdapterTest, AlreadyCancelledTokenMakesNoRequest) {
  auto model = azure();
  auto cancel = make_cancel_token();
  cancel->cancel();
  auto answer = complete(*model, cancel);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kCancelled);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(ChatAdapterTest, CircuitOpensAfterConsecutiveFailuresAndFailsFast) {
  fake_.script(R"([500, 500, 500])");
  auto options = testing::fast_options();
  options.retry.max_attempts = 1;
  options.breaker.failure_threshold = 2;
  options.breaker.cool_down = 60000ms;
  auto model = azure(options);
  EXPECT_FALSE(complete(*model));
  EXPECT_EQ(model->circuit_state(), CircuitState::kClosed);
  EXPECT_FALSE(complete(*model));
  EXPECT_EQ(model->circuit_state(), CircuitState::kOpen);
  auto fast = complete(*model);
  ASSERT_FALSE(fast);
  EXPECT_EQ(fast.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST(AdapterOptions, FromConfigMapsTheBreakerSettings) {
  config::Config config;
  config.llm_breaker_failures = 2;
  config.llm_breaker_cooldown = config::Seconds(0.25);
  const auto options = AdapterOptions::from_config(config);
  EXPECT_EQ(options.breaker.failure_threshold, 2);
  EXPECT_EQ(options.breaker.cool_down, 250ms);
}

TEST_F(ChatAdapterTest, ConnectErrorIsUnavailable) {
  config::Config c = testing::openai_config("http://127.0.0.1:1");
  auto options = testing::fast_options();
  options.retry.max_attempts = 2;
  auto model = make_chat_model(c, io_.executor(), options);
  auto answer = complete(*model);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  expect_clean(answer.error());
  EXPECT_NE(log_.text().find("Retryable error on attempt 1/2: Connection failed"), std::string::npos);
}

}  // namespace
}  // namespace rag::upstream

#include "chat/pipeline.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <thread>

#include "chat/testing/chat_fakes.hpp"
#include "observability/metrics.hpp"
#include "session/memory_session_store.hpp"

namespace rag::chat {
namespace {

using testing::FakeChatModel;
using testing::FakeSessionStore;
using testing::run_coro;
using testing::SearchFixture;

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    options_.max_history = 4;
    options_.temperature = 0.25;
    options_.max_tokens = 77;
    options_.system_template = "SYS {context}";
  }

  Pipeline make(bool with_model = true) {
    return Pipeline(*search_.searcher, with_model ? model_.get() : nullptr, *store_, options_);
  }

  Result<ChatOutcome> ask(const Pipeline& p, ChatInput in) {
    return run_coro([&] { return p.answer(std::move(in), make_cancel_token()); });
  }

  static ChatInput input(std::string session, std::string message) {
    ChatInput in;
    in.session_id = std::move(session);
    in.message = std::move(message);
    return in;
  }

  SearchFixture search_;
  std::shared_ptr<FakeChatModel> model_ = std::make_shared<FakeChatModel>();
  std::shared_ptr<FakeSessionStore> store_ = std::make_shared<FakeSessionStore>(20);
  PipelineOptions options_;
};

TEST_F(PipelineTest, GeneratedAnswerWithSourcesPromptAndStoredExchange) {
  auto p = make();
  auto out = ask(p, input("s1", "How do I change the port the server listens on?"));
  ASSERT_TRUE(out.has_value()) << out.error().message;
  EXPECT_EQ(out->response, "Ports are set with PORT.");
  EXPECT_EQ(out->mode, AnswerMode::kGenerated);
  EXPECT_EQ(out->session_id, "s1");
  EXPECT_FALSE(out->timestamp.empty());
  ASSERT_FALSE(out->sources.empty());
  EXPECT_EQ(out->sources[0].url, "/config");
  EXPECT_EQ(out->sources[0].title, "Configuration");
  EXPECT_GE(out->sources[0].similarity_score, 0.0);
  EXPECT_LE(out->sources[0].similarity_score, 1.0);

  const auto requests = model_->requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_DOUBLE_EQ(r.temperature, 0.25);
  EXPECT_EQ(r.max_tokens, 77);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_NE(r.messages[0].content.find(
                "SYS <passage n=\"1\" url=\"/config\" title=\"Configuration\">\nSet the PORT"),
            std::string::npos);
  EXPECT_EQ(r.messages[1].role, "user");

  const auto h = store_->peek("s1");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].role, "user");
  EXPECT_EQ(h[0].content, "How do I change the port the server listens on?");
  EXPECT_EQ(h[1].role, "assistant");
  EXPECT_EQ(h[1].content, "Ports are set with PORT.");
}

TEST_F(PipelineTest, RecordsSearchAndLlmLatencyHistograms) {
  auto p = make();
  const auto metrics_before = observability::Registry::global().render();
  EXPECT_NE(metrics_before.find("rag_search_duration_seconds_count"), std::string::npos);
  EXPECT_NE(metrics_before.find("rag_llm_duration_seconds_count"), std::string::npos);
  auto& llm = observability::Registry::global().histogram("rag_llm_duration_seconds", "", {});
  const auto calls = llm.count();
  ASSERT_TRUE(ask(p, input("m1", "How do I change the port the server listens on?")));
  EXPECT_EQ(llm.count(), calls + 1);
}

TEST_F(PipelineTest, RequestHistoryReplacesTheStoredOneAndIsTrimmedInThePrompt) {
  auto p = make();
  ASSERT_TRUE(ask(p, input("s2", "How do I change the port the server listens on?")));
  ChatInput in = input("s2", "How do sessions expire after inactivity?");
  in.history = session::History{};
  for (int i = 0; i < 6; ++i)
    in.history->push_back({i % 2 ? "assistant" : "user", "old" + std::to_string(i), ""});
  ASSERT_TRUE(ask(p, in));
  const auto requests = model_->requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto& m = requests[1].messages;
  ASSERT_EQ(m.size(), 1u + 4u + 1u);  // system + newest 4 (max_history) + question
  EXPECT_EQ(m[1].content, "old2");
  EXPECT_EQ(m[4].content, "old5");
  const auto h = store_->peek("s2");
  ASSERT_EQ(h.size(), 8u);  // the 6 given + this exchange; the first exchange is gone
  EXPECT_EQ(h[0].content, "old0");
  EXPECT_EQ(h[7].role, "assistant");
}

TEST_F(PipelineTest, NoPassageMeansRefusalWithoutUpstreamButStored) {
  options_.refusal_text = "Nothing found.";
  auto p = make();
  auto out = ask(p, input("s3", "Quantum chromodynamics of gluon plasmas explained"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->response, "Nothing found.");
  EXPECT_EQ(out->mode, AnswerMode::kRefusal);
  EXPECT_TRUE(out->sources.empty());
  EXPECT_EQ(model_->calls.load(), 0);
  ASSERT_EQ(store_->peek("s3").size(), 2u);
  EXPECT_EQ(store_->peek("s3")[1].content, "Nothing found.");
}

TEST_F(PipelineTest, BlankMessageIsRefusedWithoutUpstreamEvenWithHistory) {
  auto p = make();
  ASSERT_TRUE(ask(p, input("s4", "How do I change the port the server listens on?")));
  auto out = ask(p, input("s4", "   "));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->mode, AnswerMode::kRefusal);
  EXPECT_EQ(out->response, std::string(kDefaultRefusal));
  EXPECT_EQ(model_->calls.load(), 1);
}

TEST_F(PipelineTest, WithoutAModelTheAnswerIsExtractiveAndCited) {
  auto p = make(false);
  auto out = ask(p, input("s5", "How do I change the port the server listens on?"));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->mode, AnswerMode::kExtractive);
  EXPECT_NE(out->response.find("Set the PORT variable"), std::string::npos);
  EXPECT_NE(out->response.find("[1]"), std::string::npos);
  EXPECT_NE(out->response.find("Configuration (/config)"), std::string::npos);
  EXPECT_EQ(store_->peek("s5").size(), 2u);
  // It cites exactly the passages it quotes.
  for (std::size_t i = 0; i < out->sources.size(); ++i) {
    const auto marker = "[" + std::to_string(i + 1) + "]";
    EXPECT_EQ(out->sources[i].cited, out->response.find(marker) != std::string::npos) << marker;
  }
}

TEST_F(PipelineTest, CitationsOfPassagesNotGivenAreRemovedBeforeTheAnswerIsStored) {
  model_->deltas = {"Ports are set with PORT [1]", " and TLS [7].", " See `a[9]`."};
  auto p = make();
  auto out = ask(p, input("s8", "How do I change the port the server listens on?"));
  ASSERT_TRUE(out.has_value());
  ASSERT_EQ(out->sources.size(), 1u);
  EXPECT_EQ(out->response, "Ports are set with PORT [1] and TLS. See `a[9]`.");
  EXPECT_EQ(out->sources[0].cited, true);
  EXPECT_EQ(store_->peek("s8").back().content, out->response);
}

TEST_F(PipelineTest, AnAnswerCitingNothingMarksNoSource) {
  auto p = make();
  auto out = ask(p, input("s9", "How do I change the port the server listens on?"));
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(out->sources.empty());
  EXPECT_EQ(out->sources[0].cited, false);
}

TEST_F(PipelineTest, ShortFollowUpIsSearchedWithTheHistory) {
  auto p = make();
  ChatInput in = input("s6", "how long then?");
  in.history = session::History{{"user", "Tell me about sessions and inactivity", ""},
                                {"assistant", "They expire.", ""}};
  auto prepared = run_coro([&] { return p.prepare(in, make_cancel_token()); });
  ASSERT_TRUE(prepared.has_value());
  EXPECT_EQ(prepared->query, "Tell me about sessions and inactivity They expire. how long then?");
  ASSERT_FALSE(prepared->sources.empty());
  EXPECT_EQ(prepared->sources[0].url, "/sessions");
  // Without the history, the same message finds nothing.
  auto alone = run_coro([&] { return p.prepare(input("s7", "how long then?"), nullptr); });
  ASSERT_TRUE(alone.has_value());
  EXPECT_EQ(alone->mode, AnswerMode::kRefusal);
}

TEST_F(PipelineTest, UpstreamErrorsComeBackAndNothingIsStored) {
  model_->error = Error{ErrorCode::kRateLimited, "429 from upstream", 7};
  auto p = make();
  auto out = ask(p, input("s8", "How do I change the port the server listens on?"));
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::kRateLimited);
  EXPECT_DOUBLE_EQ(out.error().retry_after_s, 7);
  EXPECT_TRUE(store_->peek("s8").empty());
}

TEST_F(PipelineTest, StreamingDeliversDeltasInOrderAndTheSameText) {
  auto p = make();
  std::vector<std::string> seen;
  auto out = run_coro([&]() -> boost::asio::awaitable<Result<ChatOutcome>> {
    auto prepared = co_await p.prepare(input("s9", "How do I change the port?"), nullptr);
    if (!prepared) co_return std::unexpected(prepared.error());
    upstream::DeltaSink sink = [&](std::string_view d) -> boost::asio::awaitable<void> {
      seen.emplace_back(d);
      co_return;
    };
    co_return co_await p.generate(std::move(*prepared), sink, nullptr);
  });
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(seen, model_->deltas);
  EXPECT_EQ(out->response, "Ports are set with PORT.");
}

TEST_F(PipelineTest, StatelessInputNeitherReadsNorWritesTheStore) {
  auto p = make();
  ChatInput in = input("x", "How do I change the port the server listens on?");
  in.persist = false;
  in.history = session::History{{"user", "earlier", ""}, {"assistant", "reply", ""}};
  in.temperature = 0.9;
  in.max_tokens = 500;  // more than CHAT_MAX_TOKENS (77): capped
  ASSERT_TRUE(ask(p, in));
  in.max_tokens = 10;   // fewer: honoured
  ASSERT_TRUE(ask(p, in));
  EXPECT_EQ(store_->size(), 0u);
  const auto r = model_->requests().at(0);
  EXPECT_DOUBLE_EQ(r.temperature, 0.9);
  EXPECT_EQ(r.max_tokens, 77);
  EXPECT_EQ(model_->requests().at(1).max_tokens, 10);
  EXPECT_EQ(r.messages.size(), 4u);
}

// N concurrent answers on one session, on 4 threads; every stored answer must directly follow
// its own question (the store appends each exchange atomically).
void expect_whole_exchanges(const Pipeline& p, const std::function<session::History()>& read,
                            int requests) {
  boost::asio::io_context ioc;
  std::atomic<int> ok{0};
  for (int i = 0; i < requests; ++i) {
    boost::asio::co_spawn(
        ioc,
        [&, i]() -> boost::asio::awaitable<void> {
          // Same terms, different text: '?' x i.
          ChatInput in;
          in.session_id = "shared";
          in.message = "How do I change the port the server listens on" +
                       std::string(static_cast<std::size_t>(i), '?');
          auto out = co_await p.answer(std::move(in), nullptr);
          if (out) ++ok;
        },
        boost::asio::detached);
  }
  // The pipeline logs; create spdlog's registry here, before the threads, as `serve` does.
  // Created lazily by two threads at once, TSan reports a race inside libspdlog (whose
  // function-local static's guard it cannot see: the library is not instrumented).
  spdlog::default_logger();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { ioc.run(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), requests);
  const auto h = read();
  ASSERT_EQ(h.size() % 2, 0u);
  ASSERT_FALSE(h.empty());
  for (std::size_t i = 0; i < h.size(); i += 2) {
    EXPECT_EQ(h[i].role, "user");
    EXPECT_EQ(h[i + 1].role, "assistant");
    EXPECT_EQ(h[i + 1].content, "A:" + h[i].content);  // each answer right after its question
  }
}

TEST_F(PipelineTest, ConcurrentRequestsOnOneSessionKeepWholeExchanges) {
  store_ = std::make_shared<FakeSessionStore>(1000);
  model_->echo = true;
  auto p = make();
  expect_whole_exchanges(p, [&] { return store_->peek("shared"); }, 40);
  EXPECT_EQ(store_->peek("shared").size(), 80u);
}

TEST_F(PipelineTest, ConcurrentRequestsWithTheRealMemoryStoreKeepWholeBoundedExchanges) {
  auto memory = std::make_shared<session::MemorySessionStore>(
      session::MemorySessionOptions{.max_history = 20});
  model_->echo = true;
  Pipeline p(*search_.searcher, model_.get(), *memory, options_);
  expect_whole_exchanges(p, [&] { return memory->get_now("shared"); }, 60);
  EXPECT_EQ(memory->get_now("shared").size(), 20u);
}

TEST_F(PipelineTest, AFailedSearchIsAnErrorNeverTheRefusal) {
  auto state = std::make_shared<retrieval::testing::FakeIndexState>();
  retrieval::LiveIndex unloaded(retrieval::testing::fake_opener(state), {});
  retrieval::Searcher searcher(unloaded, nullptr, nullptr);
  Pipeline p(searcher, model_.get(), *store_, options_);
  auto out = ask(p, input("s9", "How do I change the port the server listens on?"));
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code, ErrorCode::kIndexUnavailable);
  EXPECT_EQ(model_->calls.load(), 0);
  EXPECT_TRUE(store_->peek("s9").empty());
}

}  // namespace
}  // namespace rag::chat

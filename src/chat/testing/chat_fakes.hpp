// Test doubles for the chat pipeline and its handlers (tests only): a scriptable ChatModel, an
// in-memory SessionStore, a Searcher over fake chunks, and a helper that runs a coroutine to
// completion on a private io_context.
#pragma once

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "chat/pipeline.hpp"
#include "retrieval/testing/fake_index_reader.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/searcher.hpp"
#include "retrieval/testing/test_corpus.hpp"
#include "session/session_store.hpp"
#include "upstream/chat_model.hpp"

namespace rag::chat::testing {

namespace asio = boost::asio;

// Runs `make()`'s awaitable on a fresh io_context and returns its value.
template <class F>
auto run_coro(F make) {
  asio::io_context ioc;
  auto future = asio::co_spawn(ioc, make(), asio::use_future);
  ioc.run();
  return future.get();
}

class FakeChatModel : public upstream::ChatModel {
 public:
  std::vector<std::string> deltas{"Ports are ", "set with ", "PORT."};
  std::optional<Error> error;         // returned instead of an answer
  std::optional<Error> error_after_first_delta;
  bool hang = false;                  // wait until cancelled
  bool echo = false;                  // answer "A:" + the last message instead of `deltas`
  std::atomic<int> calls{0};
  std::atomic<bool> saw_cancel{false};

  std::vector<upstream::ChatRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  asio::awaitable<Result<upstream::ChatAnswer>> complete(const upstream::ChatRequest& request,
                                                         CancelToken cancel) override {
    co_return co_await stream(request, nullptr, std::move(cancel));
  }

  asio::awaitable<Result<upstream::ChatAnswer>> stream(const upstream::ChatRequest& request,
                                                       upstream::DeltaSink sink,
                                                       CancelToken cancel) override {
    ++calls;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    if (error) co_return std::unexpected(*error);
    if (hang) co_return co_await wait_for_cancel(cancel);
    upstream::ChatAnswer answer;
    std::vector<std::string> deltas = this->deltas;
    if (echo) deltas = {"A:", request.messages.back().content};
    for (std::size_t i = 0; i < deltas.size(); ++i) {
      if (cancel && cancel->cancelled()) {
        saw_cancel = true;
        co_return fail(ErrorCode::kCancelled, "cancelled");
      }
      if (sink) co_await sink(deltas[i]);
      answer.content += deltas[i];
      if (i == 0 && error_after_first_delta) co_return std::unexpected(*error_after_first_delta);
    }
    if (cancel && cancel->cancelled()) {
      saw_cancel = true;
      co_return fail(ErrorCode::kCancelled, "cancelled");
    }
    answer.finish_reason = "stop";
    answer.prompt_tokens = 10;
    answer.completion_tokens = static_cast<int>(deltas.size());
    co_return answer;
  }

  std::string describe() const override { return "fake"; }

 private:
  asio::awaitable<Result<upstream::ChatAnswer>> wait_for_cancel(const CancelToken& cancel) {
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      asio::steady_timer::time_point::max());
    CancelRegistration reg(cancel, [timer] {
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    });
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    saw_cancel = true;
    co_return fail(ErrorCode::kCancelled, "cancelled");
  }

  mutable std::mutex mutex_;
  std::vector<upstream::ChatRequest> requests_;
};

// A minimal in-memory SessionStore (the real ones live in session/ and are tested there).
class FakeSessionStore : public session::SessionStore {
 public:
  explicit FakeSessionStore(std::size_t max_history = 20) : max_(max_history) {}

  session::History peek(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    return it == sessions_.end() ? session::History{} : it->second;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }

  asio::awaitable<Result<session::History>> get(std::string id) override {
    co_return peek(id);
  }
  asio::awaitable<Result<void>> append(std::string id, session::Message user,
                                       session::Message assistant) override {
    std::lock_guard lock(mutex_);
    auto& h = sessions_[id];
    h.push_back(std::move(user));
    h.push_back(std::move(assistant));
    trim(h);
    co_return Result<void>{};
  }
  asio::awaitable<Result<void>> replace(std::string id, session::History history) override {
    std::lock_guard lock(mutex_);
    trim(history);
    sessions_[id] = std::move(history);
    co_return Result<void>{};
  }
  asio::awaitable<Result<bool>> erase(std::string id) override {
    std::lock_guard lock(mutex_);
    co_return sessions_.erase(id) > 0;
  }
  asio::awaitable<Result<std::size_t>> count() override { co_return size(); }

 private:
  void trim(session::History& h) const {
    if (h.size() > max_) h.erase(h.begin(), h.begin() + static_cast<long>(h.size() - max_));
  }
  std::size_t max_;
  std::mutex mutex_;
  std::map<std::string, session::History> sessions_;
};

// A loaded LiveIndex over `chunks` (lexical only) and a Searcher over it.
struct SearchFixture {
  explicit SearchFixture(std::vector<store::StoredChunk> chunks = retrieval::testing::small_corpus(false))
      : state(std::make_shared<retrieval::testing::FakeIndexState>()),
        live(retrieval::testing::fake_opener(state), {}) {
    state->set(std::move(chunks), "g1");
    auto loaded = live.reload();
    if (!loaded) throw std::runtime_error(loaded.error().message);
    searcher = std::make_unique<retrieval::Searcher>(live, nullptr, nullptr);
  }
  std::shared_ptr<retrieval::testing::FakeIndexState> state;
  retrieval::LiveIndex live;
  std::unique_ptr<retrieval::Searcher> searcher;
};

// The parts of a chat pipeline over the small corpus, with a scripted model and an in-memory
// session store, for the tests of the handlers above it (api/). pipeline_ is built by
// make_pipeline(), so a test may set the model's script or the options first.
class PipelineFixture : public ::testing::Test {
 protected:
  // `with_model` false: no chat upstream (extractive answers).
  chat::Pipeline& make_pipeline(bool with_model = true, PipelineOptions options = {}) {
    pipeline_ = std::make_unique<chat::Pipeline>(
        *search_.searcher, with_model ? model_.get() : nullptr, *store_, std::move(options));
    return *pipeline_;
  }

  SearchFixture search_;
  std::shared_ptr<FakeChatModel> model_ = std::make_shared<FakeChatModel>();
  std::shared_ptr<FakeSessionStore> store_ = std::make_shared<FakeSessionStore>();
  std::unique_ptr<chat::Pipeline> pipeline_;
};

}  // namespace rag::chat::testing

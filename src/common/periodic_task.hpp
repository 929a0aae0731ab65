// Runs a piece of work every `interval` on an executor until stop() (or destruction), e.g. the
// idle-session and idle-key sweeps. stop() waits for a run in progress to end, so the owner
// of the work may be destroyed right after it.
//
// Thread-safety: start() and stop() from any thread, not concurrently with each other.
#pragma once

#include <utility>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

namespace rag {

class PeriodicTask {
 public:
  PeriodicTask() = default;
  ~PeriodicTask() { stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  void start(boost::asio::any_io_executor executor, std::chrono::duration<double> interval,
             std::function<void()> work) {
    namespace asio = boost::asio;
    stop();
    auto state = std::make_shared<State>();
    auto strand = asio::make_strand(executor);  // the timer's wait and its cancel
    state->timer = std::make_unique<asio::steady_timer>(strand);
    state_ = state;
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval);
    asio::co_spawn(
        strand,
        [state, period, work = std::move(work)]() -> asio::awaitable<void> {
          for (;;) {
            state->timer->expires_after(period);
            boost::system::error_code ec;
            co_await state->timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
            std::lock_guard lock(state->mutex);
            if (state->stopped) co_return;
            work();
          }
        },
        asio::detached);
  }

  void stop() {
    if (!state_) return;
    auto state = std::move(state_);
    {
      std::lock_guard lock(state->mutex);  // waits for a run in progress
      state->stopped = true;
    }
    boost::asio::post(state->timer->get_executor(), [state] { state->timer->cancel(); });
  }

 private:
  struct State {
    std::mutex mutex;  // held during a run and by stop()
    bool stopped = false;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  std::shared_ptr<State> state_;
};

}  // namespace rag

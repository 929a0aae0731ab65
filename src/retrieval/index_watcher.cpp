// watch_index implementation: a steady_timer loop; logs each reload and each new error once.
#include "retrieval/index_watcher.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace rag::retrieval {

namespace asio = boost::asio;

asio::awaitable<void> watch_index(LiveIndex& index, std::chrono::steady_clock::duration interval,
                                  CancelToken stop) {
  auto executor = co_await asio::this_coro::executor;
  // Shared: a cancel() posted from another thread may run after this coroutine has ended.
  auto timer = std::make_shared<asio::steady_timer>(executor);
  CancelRegistration registration(stop, [timer, executor] {
    asio::post(executor, [timer] { timer->cancel(); });
  });
  std::string last_error;
  while (!(stop && stop->cancelled())) {
    timer->expires_after(interval);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stop && stop->cancelled()) break;
    auto result = index.reload_if_changed();
    if (!result) {
      if (result.error().message != last_error) {
        last_error = result.error().message;
        spdlog::warn("Index reload failed (keeping the current index): {}", last_error);
      }
      continue;
    }
    last_error.clear();
    if (result->reloaded) {
      spdlog::info("Index changed on disk: reloaded {} chunks ({} vectors) in {:.2f}s",
                   result->chunks, result->vectors, result->seconds);
    }
  }
}

}  // namespace rag::retrieval

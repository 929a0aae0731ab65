#include "app/signals.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include <csignal>
#include <cstdlib>

namespace rag::app {

namespace asio = boost::asio;

SignalHandler::SignalHandler(WorkerContexts& contexts, http::Server& server,
                             std::chrono::milliseconds grace, std::function<void()> reload)
    : contexts_(contexts),
      server_(server),
      grace_(grace),
      reload_(std::move(reload)),
      signals_(contexts.main(), SIGINT, SIGTERM, SIGHUP) {
  wait();
}

void SignalHandler::wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      spdlog::info("Received SIGHUP: reloading the index");
      reload_();
    } else if (stopping_) {
      spdlog::warn("Second signal: exiting now");
      std::_Exit(1);
    } else {
      stopping_ = true;
      spdlog::info("Received {}, shutting down gracefully (up to {:.0f}s)",
                   signal == SIGTERM ? "SIGTERM" : "SIGINT", grace_.count() / 1000.0);
      asio::co_spawn(
          asio::make_strand(contexts_.main()),
          [this]() -> asio::awaitable<void> {
            co_await server_.shutdown(grace_);
            contexts_.stop();
          },
          asio::detached);
    }
    wait();
  });
}

}  // namespace rag::app

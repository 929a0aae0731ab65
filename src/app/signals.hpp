// The server's signals: SIGTERM/SIGINT start a graceful shutdown (the HTTP server drains for up
// to GRACEFUL_TIMEOUT, then every context stops); a second one exits at once with status 1.
// SIGHUP asks for an index reload.
//
// Thread-safety: handled on the main context; construct before the contexts run.
#pragma once

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <functional>
#include <utility>

#include "app/worker_contexts.hpp"
#include "http/server.hpp"

namespace rag::app {

class SignalHandler {
 public:
  // REQUIRES: `contexts` and `server` outlive the handler.
  SignalHandler(WorkerContexts& contexts, http::Server& server, std::chrono::milliseconds grace,
                std::function<void()> reload);

 private:
  void wait();

  WorkerContexts& contexts_;
  http::Server& server_;
  std::chrono::milliseconds grace_;
  std::function<void()> reload_;
  boost::asio::signal_set signals_;
  bool stopping_ = false;
};

}  // namespace rag::app

// The HTTP(S) server: a listener that only accepts, and one coroutine per connection that
// reads a request, runs the handler (the middleware chain + router) and writes the response.
//
// Graceful shutdown: stop accepting → close idle keep-alive connections → let in-flight
// requests (streams included) finish within the grace period → close what is left.
//
// Threading: one io_context per worker thread (each run by exactly one thread). The listener
// runs on the first and hands each accepted connection to the next context in turn, so a
// connection lives on one thread for its whole life: no strands, no cross-thread wake-ups.
//
// Thread-safety: construct, listen() and start() from one thread; shutdown() is a coroutine
// that must run on a strand (or a single-threaded context); active_connections() from anywhere.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "http/types.hpp"

namespace rag::observability {
struct Telemetry;
}

namespace rag::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8000;
  std::chrono::milliseconds header_timeout{10000};  // to receive a whole request head + body
  std::chrono::milliseconds keepalive{5000};        // idle time between requests
  std::chrono::milliseconds write_timeout{120000};  // to send one response (or stream chunk)
  // From the end of the request's head to the end of its response, streams included: past it
  // the connection is closed and the request's cancel token fires (its upstream call stops).
  std::chrono::milliseconds request_timeout{120000};
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  // Open connections at most; one more is answered 503 and closed at once.
  std::size_t max_connections = 10000;
  std::string ssl_certfile;  // both set: HTTPS
  std::string ssl_keyfile;
};

// Called once per finished request (after the response was written or the stream ended).
using CompletionHook =
    std::function<void(const RequestContext& ctx, unsigned status, std::size_t bytes)>;

class Server {
 public:
  // REQUIRES: `contexts` is not empty and outlives the server; contexts[0] accepts.
  Server(std::vector<boost::asio::io_context*> contexts, ServerOptions options, Handler handler,
         CompletionHook on_complete);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the bound port (useful with port 0). Errors name the address.
  Result<std::uint16_t> listen();
  // Starts accepting on the io_context.
  void start();
  // Completes once every connection is closed; see the file comment.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

  std::size_t active_connections() const;
  std::size_t active_requests() const;
  // Connections refused since start because max_connections were open.
  std::uint64_t refused_connections() const;
  // rag_http_connections_refused_total. At start-up; REQUIRES: this outlives every scrape.
  void publish(observability::Telemetry& telemetry) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace rag::http

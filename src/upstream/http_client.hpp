// An asynchronous HTTP/1.1 client for upstream calls (Beast + Asio SSL, C++20 coroutines) on
// the caller's io_context: plain http:// or https:// with certificate and host-name
// verification against the system store (SNI set), a bounded keep-alive pool per origin,
// a timeout per attempt (connect + request + response headers; then per body read), and
// cancellation through CancelToken (the socket is closed). One send() is one attempt: the
// retry rules live in RetryingCaller. Beast stays inside http_client.cpp.
//
// Thread-safety: shared; send() may be called concurrently from any thread. Each connection
// is driven on its own strand; a body sink runs on the executor send() was awaited from.
#pragma once

#include <utility>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/cancel.hpp"
#include "upstream/retry_policy.hpp"
#include "upstream/url.hpp"

namespace rag::upstream {

struct HttpRequest {
  Url url;
  Headers headers;  // extra headers (auth, content type)
  std::string body;  // sent with POST; empty body + method GET for a GET
  bool post = true;
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // names lower-case
  std::string body;  // empty when a sink consumed a 2xx body
};

// Why an attempt produced no complete response.
struct HttpFailure {
  AttemptOutcome::Kind kind = AttemptOutcome::Kind::kConnectError;
  std::string detail;      // secret-free
  bool got_response = false;  // the status line had arrived (bytes may have reached a sink)
};

using HttpResult = std::expected<HttpResponse, HttpFailure>;

// Receives a 2xx body piece by piece; return false to abort the attempt (kProtocol).
using BodySink = std::function<boost::asio::awaitable<bool>(std::string_view piece)>;

class HttpClient {
 public:
  struct Options {
    std::size_t max_idle_per_host = 64;       // idle keep-alive connections kept per origin
    std::chrono::seconds idle_keepalive{30};  // an idle connection older than this is dropped
    // PEM trusted in addition to the system store. One that cannot be loaded is logged when
    // the client is built, and every https attempt then fails (kTlsError) saying why.
    std::string extra_ca_file;
    std::size_t max_body_bytes = 256u << 20;  // for bodies kept in memory
  };

  HttpClient(boost::asio::any_io_executor executor, Options options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One attempt. `timeout` bounds connect + write + response headers, and then each body read
  // (so a long stream lives as long as it keeps moving). A non-2xx answer is a response, with
  // its body read into memory; a 2xx body goes to `sink` when one is given.
  boost::asio::awaitable<HttpResult> send(const HttpRequest& request,
                                          std::chrono::milliseconds timeout, CancelToken cancel,
                                          BodySink sink = {});

  boost::asio::any_io_executor executor() const;

  // Idle connections currently pooled (all origins), for tests and metrics.
  std::size_t idle_connections() const;

  struct Impl;  // opaque (Beast and OpenSSL live in http_client.cpp)

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rag::upstream

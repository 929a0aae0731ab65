// The server the `http_request` target talks to: the real parts, route table and middleware
// chain of `rag-server serve` (app/services.hpp), built once per process from a config
// with no upstream (extractive answers, lexical search), small session bounds, and a tiny
// index written with the real ingest + store code into a folder of its own.
//
// The index folder is a fresh temporary one, removed as soon as the index is loaded (libFuzzer
// runs every input in the one process). Nothing touches the network or other files; stdout
// (the access log) goes to /dev/null and the human log to a null sink (still formatted).
//
// Thread-safety: one thread (the driver's) uses the world; the server's own background
// threads (index reloader, access-log writer) run as they do in production.
#pragma once

#include <memory>
#include <utility>
#include <boost/asio/io_context.hpp>

#include "app/services.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "http/types.hpp"

namespace rag::fuzz {

struct HttpWorld {
  config::Config config;
  boost::asio::io_context ioc;
  // What `handler` refers to; held here so that LeakSanitizer sees it reachable.
  std::unique_ptr<app::Services> services;
  http::Handler handler;
};

// Built on the first call; never destroyed (the process ends with it).
HttpWorld& http_world();

}  // namespace rag::fuzz

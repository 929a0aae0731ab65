// GET /metrics: the Prometheus text exposition of the global registry.
#pragma once

#include <functional>

#include "http/types.hpp"

namespace rag::api {

// `refresh` (optional) runs before each scrape, for values that must be fetched
// asynchronously (e.g. the session count kept in Redis).
http::Handler metrics(std::function<boost::asio::awaitable<void>()> refresh = {});

}  // namespace rag::api

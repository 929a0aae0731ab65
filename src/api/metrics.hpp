// GET /metrics: the Prometheus text exposition of the global registry.
#pragma once

#include "http/types.hpp"

namespace rag::api {

http::Handler metrics();

}  // namespace rag::api

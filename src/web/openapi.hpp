// GET /openapi.json (the API description) and its human page, from the embedded assets.
#pragma once

#include "http/router.hpp"

namespace rag::web {

void add_openapi_routes(http::Router& router);

}  // namespace rag::web

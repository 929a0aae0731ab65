// GET /ui: the chat page (and its static files), served from the embedded assets.
#pragma once

#include "http/router.hpp"

namespace rag::web {

void add_ui_routes(http::Router& router);

}  // namespace rag::web

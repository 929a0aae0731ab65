// Placeholder: the chat page arrives with issue 9.
#include "web/ui.hpp"

namespace rag::web {

void add_ui_routes(http::Router&) {}

}  // namespace rag::web

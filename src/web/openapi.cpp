// Placeholder: the API description arrives with issue 9.
#include "web/openapi.hpp"

namespace rag::web {

void add_openapi_routes(http::Router&) {}

}  // namespace rag::web

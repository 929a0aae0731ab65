// GET /sessions/{id}/history and DELETE /sessions/{id} (docs/api.md):
//   GET    → 200 {"session_id": id, "history": [{"role", "content"}]} (empty list when unknown)
//   DELETE → 200 {"message": "Session {id} cleared"} or {"message": "Session {id} not found"}
// An id outside 1-128 chars of [A-Za-z0-9._:-] → 422 at ["path", "session_id"]. A session
// backend that fails → 503 {"detail": "Session store unavailable"}. Both read the `{id}` path
// parameter, so register them on "/sessions/{id}/history" and "/sessions/{id}".
//
// Thread-safety: the handlers may run concurrently on any thread (the store is thread-safe).
// REQUIRES: `store` outlives the handlers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/types.hpp"
#include "session/session_store.hpp"

namespace rag::api {

http::Handler session_history_handler(session::SessionStore& store);
http::Handler session_delete_handler(session::SessionStore& store);

// The 200 bodies, for tests and other front ends.
std::string session_history_body(const std::string& id, const session::History& history);
std::string session_deleted_body(const std::string& id, bool existed);

}  // namespace rag::api

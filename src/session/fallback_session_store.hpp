// A SessionStore that uses the shared (Redis) store while it is healthy and a local memory store
// while it is not, switching back as soon as it answers again.
//
// Consistency trade-off (deliberate; availability over consistency): during an outage each
// replica keeps the conversations it serves in its own memory, so a client moved to another
// replica loses the context of the outage period; when Redis returns, the shared history is used
// again as it was before the outage — exchanges made during the outage are not merged back.
// Nothing is lost that Redis had.
//
// How to use it: FallbackSessionStore store(redis_store, memory_store,
//                                           [&client] { return client.healthy(); });
// Thread-safety: any thread; both stores and the predicate must outlive this object.
#pragma once

#include <functional>

#include "session/session_store.hpp"

namespace rag::session {

class FallbackSessionStore final : public SessionStore {
 public:
  FallbackSessionStore(SessionStore& shared, SessionStore& local,
                       std::function<bool()> shared_healthy);

  asio::awaitable<Result<History>> get(std::string id) override;
  asio::awaitable<Result<void>> append(std::string id, Message user, Message assistant) override;
  asio::awaitable<Result<void>> replace(std::string id, History history) override;
  asio::awaitable<Result<bool>> erase(std::string id) override;
  asio::awaitable<Result<std::size_t>> count() override;

  // Whether the last call went to the shared store (for /readyz and tests).
  bool using_shared() const { return shared_healthy_(); }

 private:
  SessionStore& shared_;
  SessionStore& local_;
  std::function<bool()> shared_healthy_;
};

}  // namespace rag::session

// See fallback_session_store.hpp. An outage error from the shared store (kUnavailable, kTimeout)
// sends that very call to the local store, so a request never fails because Redis went away.
#include "session/fallback_session_store.hpp"

namespace rag::session {
namespace {

bool is_outage(const Error& e) {
  return e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kTimeout;
}

}  // namespace

FallbackSessionStore::FallbackSessionStore(SessionStore& shared, SessionStore& local,
                                           std::function<bool()> shared_healthy)
    : shared_(shared), local_(local), shared_healthy_(std::move(shared_healthy)) {}

asio::awaitable<Result<History>> FallbackSessionStore::get(std::string id) {
  if (shared_healthy_()) {
    auto r = co_await shared_.get(id);
    if (r || !is_outage(r.error())) co_return r;
  }
  co_return co_await local_.get(std::move(id));
}

asio::awaitable<Result<void>> FallbackSessionStore::append(std::string id, Message user,
                                                           Message assistant) {
  if (shared_healthy_()) {
    auto r = co_await shared_.append(id, user, assistant);
    if (r || !is_outage(r.error())) co_return r;
  }
  co_return co_await local_.append(std::move(id), std::move(user), std::move(assistant));
}

asio::awaitable<Result<void>> FallbackSessionStore::replace(std::string id, History history) {
  if (shared_healthy_()) {
    auto r = co_await shared_.replace(id, history);
    if (r || !is_outage(r.error())) co_return r;
  }
  co_return co_await local_.replace(std::move(id), std::move(history));
}

asio::awaitable<Result<bool>> FallbackSessionStore::erase(std::string id) {
  // Erase locally too: a conversation held locally during an outage must not reappear.
  auto local = co_await local_.erase(id);
  if (shared_healthy_()) {
    auto r = co_await shared_.erase(id);
    if (r) co_return *r || (local && *local);
    if (!is_outage(r.error())) co_return r;
  }
  co_return local;
}

asio::awaitable<Result<std::size_t>> FallbackSessionStore::count() {
  if (shared_healthy_()) {
    auto r = co_await shared_.count();
    if (r || !is_outage(r.error())) co_return r;
  }
  co_return co_await local_.count();
}

}  // namespace rag::session

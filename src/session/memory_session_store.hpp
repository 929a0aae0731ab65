// In-process SessionStore: bounded history per session (messages and bytes), idle expiry by a
// background sweep, a global bound on sessions with least-recently-used eviction.
//
// How to use it:
//   session::MemorySessionStore store({.max_history = cfg.max_conversation_history,
//                                      .max_bytes = cfg.max_session_bytes,
//                                      .idle_timeout = cfg.session_timeout,
//                                      .max_sessions = cfg.max_sessions});
//   store.start_sweeper(ioc.get_executor(), cfg.cleanup_interval);  // logs "Cleaned up N ..."
//   ... co_await store.get(id) ...   (or the *_now synchronous forms; they never block on I/O)
//   store.stop_sweeper();                                            // at shutdown
//
// Invariants: sessions live in `kShards` shards chosen by hash(id); each shard has its own
// mutex, a recency list (front = most recent) and an index into it. Every touch takes a global
// sequence number, so the globally least recently used session is the shard tail with the
// smallest sequence: eviction (only when a new session pushes the count over max_sessions)
// looks at each shard tail, never holding two shard locks at once. The hot path (a request on
// an existing session) takes one shard lock and one atomic increment.
// Thread-safety: every method may be called from any thread.
#pragma once

#include "common/periodic_task.hpp"

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "session/session_store.hpp"

namespace rag::observability {
struct Telemetry;
}

namespace rag::session {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct MemorySessionOptions {
  std::size_t max_history = 20;
  std::size_t max_bytes = 64 << 10;  // bytes of messages per session (history_bounds.hpp)
  std::chrono::duration<double> idle_timeout = std::chrono::hours(24);
  std::size_t max_sessions = 100000;
};

class MemorySessionStore final : public SessionStore {
 public:
  explicit MemorySessionStore(MemorySessionOptions options, SteadyClock clock = nullptr);
  ~MemorySessionStore() override;
  MemorySessionStore(const MemorySessionStore&) = delete;
  MemorySessionStore& operator=(const MemorySessionStore&) = delete;

  // Synchronous forms (no I/O; a shard lock at most).
  History get_now(std::string_view id);
  void append_now(std::string_view id, Message user, Message assistant);
  void replace_now(std::string_view id, History history);
  bool erase_now(std::string_view id);
  std::size_t size() const { return count_.load(); }
  // rag_sessions_local. At start-up; REQUIRES: this store outlives every scrape.
  void publish(observability::Telemetry& telemetry) const;
  // Removes sessions idle for longer than the timeout; logs and returns how many.
  std::size_t sweep_expired();

  // Runs sweep_expired() every `interval` on `executor` until stop_sweeper() or destruction.
  void start_sweeper(asio::any_io_executor executor, std::chrono::duration<double> interval);
  void stop_sweeper();

  asio::awaitable<Result<History>> get(std::string id) override;
  asio::awaitable<Result<void>> append(std::string id, Message user, Message assistant) override;
  asio::awaitable<Result<void>> replace(std::string id, History history) override;
  asio::awaitable<Result<bool>> erase(std::string id) override;
  asio::awaitable<Result<std::size_t>> count() override;

 private:
  static constexpr std::size_t kShards = 16;
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Entry {
    std::string id;
    History history;
    TimePoint last_used;
    std::uint64_t seq = 0;
  };
  struct Shard {
    std::mutex mutex;
    std::list<Entry> recency;  // front = most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;  // views into Entry::id
  };

  Shard& shard_for(std::string_view id);
  // REQUIRES: shard.mutex held. Returns the live entry (expired ones are removed), or end().
  std::list<Entry>::iterator find_live(Shard& shard, std::string_view id, TimePoint now);
  // REQUIRES: shard.mutex held. Finds or creates; `created` says which.
  std::list<Entry>::iterator find_or_create(Shard& shard, std::string_view id, TimePoint now,
                                            bool& created);
  void touch(Shard& shard, std::list<Entry>::iterator it, TimePoint now);
  void remove(Shard& shard, std::list<Entry>::iterator it);
  void trim(History& history) const;
  void enforce_capacity();
  bool expired(const Entry& e, TimePoint now) const;

  MemorySessionOptions options_;
  SteadyClock clock_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::uint64_t> seq_{0};
  PeriodicTask sweeper_;
};

}  // namespace rag::session

// See memory_session_store.hpp for the invariants.
#include "session/memory_session_store.hpp"

#include "observability/telemetry.hpp"
#include "session/history_bounds.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rag::session {

MemorySessionStore::MemorySessionStore(MemorySessionOptions options, SteadyClock clock)
    : options_(options), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  if (options_.max_history == 0) options_.max_history = 1;
  if (options_.max_sessions == 0) options_.max_sessions = 1;
  for (std::size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

MemorySessionStore::~MemorySessionStore() { stop_sweeper(); }

MemorySessionStore::Shard& MemorySessionStore::shard_for(std::string_view id) {
  return *shards_[std::hash<std::string_view>{}(id) % kShards];
}

bool MemorySessionStore::expired(const Entry& e, TimePoint now) const {
  return now - e.last_used >= options_.idle_timeout;
}

std::list<MemorySessionStore::Entry>::iterator MemorySessionStore::find_live(Shard& shard,
                                                                             std::string_view id,
                                                                             TimePoint now) {
  auto found = shard.index.find(id);
  if (found == shard.index.end()) return shard.recency.end();
  auto it = found->second;
  if (expired(*it, now)) {
    remove(shard, it);
    return shard.recency.end();
  }
  return it;
}

std::list<MemorySessionStore::Entry>::iterator MemorySessionStore::find_or_create(
    Shard& shard, std::string_view id, TimePoint now, bool& created) {
  auto it = find_live(shard, id, now);
  created = it == shard.recency.end();
  if (created) {
    shard.recency.push_front(Entry{std::string(id), {}, now, 0});
    it = shard.recency.begin();
    shard.index.emplace(std::string_view(it->id), it);
    ++count_;
  }
  return it;
}

void MemorySessionStore::touch(Shard& shard, std::list<Entry>::iterator it, TimePoint now) {
  it->last_used = now;
  it->seq = ++seq_;
  shard.recency.splice(shard.recency.begin(), shard.recency, it);
}

void MemorySessionStore::remove(Shard& shard, std::list<Entry>::iterator it) {
  shard.index.erase(std::string_view(it->id));
  shard.recency.erase(it);
  --count_;
}

void MemorySessionStore::trim(History& history) const {
  trim_history(history, {options_.max_history, options_.max_bytes});
}

History MemorySessionStore::get_now(std::string_view id) {
  Shard& shard = shard_for(id);
  std::lock_guard lock(shard.mutex);
  const auto now = clock_();
  auto it = find_live(shard, id, now);
  if (it == shard.recency.end()) return {};
  touch(shard, it, now);
  return it->history;
}

void MemorySessionStore::append_now(std::string_view id, Message user, Message assistant) {
  bool created = false;
  {
    Shard& shard = shard_for(id);
    std::lock_guard lock(shard.mutex);
    const auto now = clock_();
    auto it = find_or_create(shard, id, now, created);
    it->history.push_back(std::move(user));
    it->history.push_back(std::move(assistant));
    trim(it->history);
    touch(shard, it, now);
  }
  if (created) enforce_capacity();
}

void MemorySessionStore::replace_now(std::string_view id, History history) {
  trim(history);
  bool created = false;
  {
    Shard& shard = shard_for(id);
    std::lock_guard lock(shard.mutex);
    const auto now = clock_();
    auto it = find_or_create(shard, id, now, created);
    it->history = std::move(history);
    touch(shard, it, now);
  }
  if (created) enforce_capacity();
}

bool MemorySessionStore::erase_now(std::string_view id) {
  Shard& shard = shard_for(id);
  std::lock_guard lock(shard.mutex);
  auto it = find_live(shard, id, clock_());
  if (it == shard.recency.end()) return false;
  remove(shard, it);
  return true;
}

void MemorySessionStore::enforce_capacity() {
  // Bounded: each round removes one session or finds the store already under its bound.
  for (int round = 0; count_.load() > options_.max_sessions && round < 1000; ++round) {
    std::uint64_t oldest = UINT64_MAX;
    Shard* victim = nullptr;
    for (auto& shard : shards_) {
      std::lock_guard lock(shard->mutex);
      if (!shard->recency.empty() && shard->recency.back().seq < oldest) {
        oldest = shard->recency.back().seq;
        victim = shard.get();
      }
    }
    if (!victim) return;
    std::lock_guard lock(victim->mutex);
    // Another thread may have touched or removed it meanwhile: then look again.
    if (!victim->recency.empty() && victim->recency.back().seq == oldest) {
      spdlog::debug("Session store full ({} sessions): evicting the least recently used",
                    options_.max_sessions);
      remove(*victim, std::prev(victim->recency.end()));
    }
  }
}

std::size_t MemorySessionStore::sweep_expired() {
  std::size_t removed = 0;
  const auto now = clock_();
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    while (!shard->recency.empty() && expired(shard->recency.back(), now)) {
      remove(*shard, std::prev(shard->recency.end()));
      ++removed;
    }
  }
  if (removed > 0) {
    spdlog::info("Cleaned up {} expired sessions", removed);
  } else {
    spdlog::debug("Cleaned up 0 expired sessions");
  }
  return removed;
}

void MemorySessionStore::start_sweeper(asio::any_io_executor executor,
                                       std::chrono::duration<double> interval) {
  sweeper_.start(std::move(executor), interval, [this] { sweep_expired(); });
}

void MemorySessionStore::stop_sweeper() { sweeper_.stop(); }

asio::awaitable<Result<History>> MemorySessionStore::get(std::string id) {
  co_return get_now(id);
}
asio::awaitable<Result<void>> MemorySessionStore::append(std::string id, Message user,
                                                         Message assistant) {
  append_now(id, std::move(user), std::move(assistant));
  co_return Result<void>{};
}
asio::awaitable<Result<void>> MemorySessionStore::replace(std::string id, History history) {
  replace_now(id, std::move(history));
  co_return Result<void>{};
}
asio::awaitable<Result<bool>> MemorySessionStore::erase(std::string id) {
  co_return erase_now(id);
}
asio::awaitable<Result<std::size_t>> MemorySessionStore::count() { co_return size(); }

void MemorySessionStore::publish(observability::Telemetry& telemetry) const {
  telemetry.metrics.callback("rag_sessions_local", "Sessions held in this replica's memory.",
                             "gauge", {}, [this] { return static_cast<double>(size()); });
}

}  // namespace rag::session

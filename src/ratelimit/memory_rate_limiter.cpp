// See memory_rate_limiter.hpp for the invariants.
#include "ratelimit/memory_rate_limiter.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rag::ratelimit {

void MemoryRateLimiter::Log::pop_front() {
  head_ = (head_ + 1) % buf_.size();
  --size_;
}

void MemoryRateLimiter::Log::push_back(std::int64_t t, std::size_t limit) {
  if (size_ == buf_.size()) {  // grow (doubling, up to the limit), unrolling the ring
    std::vector<std::int64_t> bigger(std::max<std::size_t>(1, std::min(limit, buf_.size() * 2 + 1)));
    if (bigger.size() <= size_) bigger.resize(size_ + 1);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) % buf_.size()];
    buf_ = std::move(bigger);
    head_ = 0;
  }
  buf_[(head_ + size_) % buf_.size()] = t;
  ++size_;
}

MemoryRateLimiter::MemoryRateLimiter(MemoryRateLimiterOptions options, SteadyClock clock)
    : options_(options), clock_(std::move(clock)),
      per_shard_cap_(std::max<std::size_t>(1, options.max_keys / kShards)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  for (std::size_t i = 0; i < kShards; ++i) shards_.push_back(std::make_unique<Shard>());
}

MemoryRateLimiter::~MemoryRateLimiter() { stop_sweeper(); }

std::int64_t MemoryRateLimiter::now_us() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(clock_().time_since_epoch()).count();
}

bool MemoryRateLimiter::is_expired(const Entry& e, std::int64_t now) {
  return e.log.size() == 0 || e.log.back() + e.period_us <= now;
}

std::size_t MemoryRateLimiter::drop_expired(Shard& shard, std::int64_t now) {
  std::size_t dropped = 0;
  for (auto it = shard.recency.begin(); it != shard.recency.end();) {
    if (is_expired(*it, now)) {
      shard.index.erase(std::string_view(it->key));
      it = shard.recency.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

Decision MemoryRateLimiter::check_now(std::string_view route, std::string_view client_ip,
                                      const config::RateLimitSpec& spec) {
  if (!spec.enabled || spec.count <= 0) return Decision{true, 0, 0, 0, 0};
  std::string key;
  key.reserve(route.size() + client_ip.size() + 1);
  key.append(route).push_back('|');
  key.append(client_ip);
  const std::int64_t now = now_us();
  const std::int64_t window = static_cast<std::int64_t>(spec.period_seconds) * 1'000'000;
  const auto limit = static_cast<std::size_t>(spec.count);

  Shard& shard = *shards_[std::hash<std::string>{}(key) % kShards];
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  std::list<Entry>::iterator it;
  if (found == shard.index.end()) {
    if (shard.recency.size() >= per_shard_cap_ && drop_expired(shard, now) == 0) {
      // Full of live keys: forget the least recently used one (it may get a fresh window).
      shard.index.erase(std::string_view(shard.recency.back().key));
      shard.recency.pop_back();
    }
    shard.recency.push_front(Entry{std::move(key), {}, window});
    it = shard.recency.begin();
    shard.index.emplace(std::string_view(it->key), it);
  } else {
    it = found->second;
    shard.recency.splice(shard.recency.begin(), shard.recency, it);
  }
  Entry& e = *it;
  e.period_us = window;
  while (e.log.size() > 0 && (e.log.front() <= now - window || e.log.size() > limit)) {
    e.log.pop_front();
  }
  Decision d;
  d.limit = spec.count;
  if (e.log.size() < limit) {
    e.log.push_back(now, limit);
    d.allowed = true;
    d.remaining = static_cast<int>(limit - e.log.size());
    d.reset_after_s = window / 1e6;
  } else {
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_s = (e.log.front() + window - now) / 1e6;
    d.reset_after_s = (e.log.back() + window - now) / 1e6;
  }
  return d;
}

asio::awaitable<Decision> MemoryRateLimiter::check(std::string_view route,
                                                   std::string_view client_ip,
                                                   const config::RateLimitSpec& spec) {
  co_return check_now(route, client_ip, spec);
}

std::size_t MemoryRateLimiter::sweep_expired() {
  const std::int64_t now = now_us();
  std::size_t dropped = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    dropped += drop_expired(*shard, now);
  }
  if (dropped > 0) spdlog::debug("Rate limiter: dropped {} idle keys", dropped);
  return dropped;
}

std::size_t MemoryRateLimiter::key_count() const {
  std::size_t n = 0;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    n += shard->recency.size();
  }
  return n;
}

void MemoryRateLimiter::start_sweeper(asio::any_io_executor executor,
                                      std::chrono::duration<double> interval) {
  sweeper_.start(std::move(executor), interval, [this] { sweep_expired(); });
}

void MemoryRateLimiter::stop_sweeper() { sweeper_.stop(); }

}  // namespace rag::ratelimit

// In-process RateLimiter: a sliding log per (route, client) key, in shards with their own mutex.
//
// How to use it: MemoryRateLimiter limiter({.max_keys = 100000});
//   limiter.start_sweeper(ioc.get_executor(), std::chrono::seconds(60));  // drops idle keys
//   auto d = co_await limiter.check(route, ip, spec);  // or check_now(...), never blocks on I/O
//
// Invariants: memory is bounded — at most max_keys keys (per shard max_keys / kShards; when a
// shard is full, its expired keys are dropped, then its least recently used key), and each key
// holds at most spec.count timestamps in a ring. A key whose newest timestamp is older than
// its period holds no information and may be dropped at any time.
// Thread-safety: any thread; one shard lock per decision.
#pragma once

#include "common/periodic_task.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ratelimit/rate_limiter.hpp"

namespace rag::ratelimit {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct MemoryRateLimiterOptions {
  std::size_t max_keys = 100000;
};

class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(MemoryRateLimiterOptions options = {}, SteadyClock clock = nullptr);
  ~MemoryRateLimiter() override;
  MemoryRateLimiter(const MemoryRateLimiter&) = delete;
  MemoryRateLimiter& operator=(const MemoryRateLimiter&) = delete;

  Decision check_now(std::string_view route, std::string_view client_ip,
                     const config::RateLimitSpec& spec);
  asio::awaitable<Decision> check(std::string_view route, std::string_view client_ip,
                                  const config::RateLimitSpec& spec) override;

  // Drops keys with nothing left in their window; returns how many.
  std::size_t sweep_expired();
  std::size_t key_count() const;
  void start_sweeper(asio::any_io_executor executor, std::chrono::duration<double> interval);
  void stop_sweeper();

 private:
  static constexpr std::size_t kShards = 16;

  // Timestamps (µs) of allowed requests, oldest first, in a ring that grows up to the limit.
  class Log {
   public:
    std::size_t size() const { return size_; }
    std::int64_t front() const { return buf_[head_]; }
    std::int64_t back() const { return buf_[(head_ + size_ - 1) % buf_.size()]; }
    void pop_front();
    void push_back(std::int64_t t, std::size_t limit);

   private:
    std::vector<std::int64_t> buf_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
  };
  struct Entry {
    std::string key;
    Log log;
    std::int64_t period_us = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> recency;  // front = most recently used
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
  };

  std::int64_t now_us() const;
  // REQUIRES: shard.mutex held.
  std::size_t drop_expired(Shard& shard, std::int64_t now);
  static bool is_expired(const Entry& e, std::int64_t now);

  MemoryRateLimiterOptions options_;
  SteadyClock clock_;
  std::size_t per_shard_cap_;
  std::vector<std::unique_ptr<Shard>> shards_;
  PeriodicTask sweeper_;
};

}  // namespace rag::ratelimit

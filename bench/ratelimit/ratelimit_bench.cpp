// Decisions per second of the rate limiters: in-memory (direct and through the coroutine
// interface, 1 and 2 threads) vs Redis (pipelined coroutines on a 2-thread io_context).
// Starts its own redis-server on a free loopback port unless REDIS_URL is set.
// Usage: ratelimit_bench [decisions=200000] [concurrency=64]
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ratelimit/memory_rate_limiter.hpp"
#include "ratelimit/redis_rate_limiter.hpp"
#include "redis/testing/redis_server.hpp"
#include "common/testing/support.hpp"

using namespace rag;
using Clock = std::chrono::steady_clock;

namespace {

// Limits set high: every decision is an allowed one (the usual case), so nothing short-circuits.
const config::RateLimitSpec kHigh{true, 1000000000, 3600, "hour"};

std::vector<std::string> make_ips(int n) {
  std::vector<std::string> ips;
  for (int i = 0; i < n; ++i) ips.push_back("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
  return ips;
}

void report(const char* name, long n, Clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  std::printf("%-46s %9ld decisions in %6.3f s = %10.0f decisions/s (%.2f us each)\n", name, n, s,
              n / s, s * 1e6 / n);
}

void bench_memory_direct(long n, int threads, const std::vector<std::string>& ips) {
  ratelimit::MemoryRateLimiter limiter;
  std::vector<std::thread> ts;
  const auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (long i = t; i < n; i += threads) limiter.check_now("search", ips[i % ips.size()], kHigh);
    });
  }
  for (auto& th : ts) th.join();
  report(threads == 1 ? "memory, check_now, 1 thread" : "memory, check_now, 2 threads", n,
         Clock::now() - t0);
}

// `concurrency` coroutines share `n` decisions on an io_context run by 2 threads.
void bench_async(const char* name, ratelimit::RateLimiter& limiter, long n, int concurrency,
                 const std::vector<std::string>& ips, testing::IoThreads& io) {
  std::atomic<long> next{0};
  std::latch done(concurrency);
  const auto t0 = Clock::now();
  for (int c = 0; c < concurrency; ++c) {
    boost::asio::co_spawn(
        io.ioc(),
        [&]() -> boost::asio::awaitable<void> {
          for (long i = next++; i < n; i = next++) {
            co_await limiter.check("search", ips[i % ips.size()], kHigh);
          }
          done.count_down();
        },
        boost::asio::detached);
  }
  done.wait();
  report(name, n, Clock::now() - t0);
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;
  const int concurrency = argc > 2 ? std::atoi(argv[2]) : 64;
  const auto ips = make_ips(1000);
  std::printf("%ld decisions over %zu client IPs, limit %d/%s\n", n, ips.size(), kHigh.count,
              kHigh.unit.c_str());

  bench_memory_direct(n * 10, 1, ips);
  bench_memory_direct(n * 10, 2, ips);
  {
    testing::IoThreads io(2);
    ratelimit::MemoryRateLimiter memory;
    bench_async("memory, co_await check, 2 io threads", memory, n * 10, concurrency, ips, io);
    io.join();
  }

  std::unique_ptr<testing::RedisServer> server;
  std::string url = std::getenv("REDIS_URL") ? std::getenv("REDIS_URL") : "";
  if (url.empty()) {
    server = std::make_unique<testing::RedisServer>();
    url = server->url();
  }
  testing::IoThreads io(2);
  redis::RedisClient client(io.executor(), *redis::parse_redis_url(url));
  client.start();
  if (!testing::wait_until([&] { return client.healthy(); })) {
    std::fprintf(stderr, "Redis not reachable\n");
    return 1;
  }
  ratelimit::RedisRateLimiter redis_limiter(client, "bench:");
  bench_async("redis, co_await check, concurrency 1", redis_limiter, n / 10, 1, ips, io);
  const std::string label = "redis, co_await check, concurrency " + std::to_string(concurrency);
  bench_async(label.c_str(), redis_limiter, n, concurrency, ips, io);
  client.stop();
  io.join();
  return 0;
}

// Upstream client benchmark against the fake upstream on loopback:
//   1. overhead: sequential chat completions with 0 ms fake latency (mean / p50 / p99 per call),
//   2. throughput: calls/s with 64 calls in flight at 0 ms,
//   3. concurrency: 1000 calls in flight at once with 2000 ms fake latency, client on WORKERS
//      threads (target: all done in about 2 s).
// Usage: upstream-bench [--workers 4] [--fake-threads 2] [--sequential 2000] [--throughput 5000]
//                       [--concurrent 1000] [--latency-ms 2000] [--fake-url http://127.0.0.1:P]
// With --fake-url the fake runs as a separate `fake-upstream` process (its latency must be set
// by the caller via POST /_fake/config); otherwise it runs in-process on its own threads.
#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <spdlog/spdlog.h>
#include <string>
#include <thread>
#include <vector>

#include "fake_upstream.hpp"
#include "upstream/factory.hpp"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace rag;

namespace {

struct Args {
  int workers = 4, fake_threads = 2, sequential = 2000, throughput = 5000, concurrent = 1000;
  int latency_ms = 2000;
  std::string fake_url;
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Runs `total` calls with at most `in_flight` at once; returns per-call latencies and errors.
struct Batch {
  std::vector<double> latencies;
  int errors = 0;
  double wall_s = 0;
};

Batch run_calls(upstream::ChatModel& model, asio::io_context& ioc, int total, int in_flight) {
  Batch batch;
  batch.latencies.resize(total);
  std::atomic<int> next{0}, exited{0}, errors{0};
  const int workers = std::min(in_flight, total);
  std::promise<void> finished;
  const upstream::ChatRequest request{{{"user", "benchmark question about refunds"}}, 0.1, 20};
  auto worker = [&]() -> asio::awaitable<void> {
    for (int i = next++; i < total; i = next++) {
      const auto start = Clock::now();
      auto answer = co_await model.complete(request, {});
      batch.latencies[i] = seconds_since(start);
      if (!answer) ++errors;
    }
    if (++exited == workers) finished.set_value();  // nothing of this frame is touched after
  };
  const auto start = Clock::now();
  for (int w = 0; w < workers; ++w) asio::co_spawn(ioc, worker(), asio::detached);
  finished.get_future().wait();
  batch.wall_s = seconds_since(start);
  batch.errors = errors;
  std::sort(batch.latencies.begin(), batch.latencies.end());
  return batch;
}

void report(const char* name, const Batch& b) {
  const auto n = b.latencies.size();
  double sum = 0;
  for (double x : b.latencies) sum += x;
  std::printf("%-34s calls=%zu errors=%d wall=%.3fs calls/s=%.0f mean=%.3fms p50=%.3fms "
              "p99=%.3fms max=%.3fms\n",
              name, n, b.errors, b.wall_s, n / b.wall_s, 1e3 * sum / n, 1e3 * b.latencies[n / 2],
              1e3 * b.latencies[std::min(n - 1, n * 99 / 100)], 1e3 * b.latencies.back());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--workers") args.workers = std::atoi(v);
    else if (k == "--fake-threads") args.fake_threads = std::atoi(v);
    else if (k == "--sequential") args.sequential = std::atoi(v);
    else if (k == "--throughput") args.throughput = std::atoi(v);
    else if (k == "--concurrent") args.concurrent = std::atoi(v);
    else if (k == "--latency-ms") args.latency_ms = std::atoi(v);
    else if (k == "--fake-url") args.fake_url = v;
  }
  spdlog::set_level(spdlog::level::warn);
  std::unique_ptr<fakes::FakeUpstream> fake;
  std::string base = args.fake_url;
  if (base.empty()) {
    fakes::FakeUpstream::Options o;
    o.threads = args.fake_threads;
    fake = std::make_unique<fakes::FakeUpstream>(o);
    base = fake->base_url();
  }
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> threads;
  for (int i = 0; i < args.workers; ++i) threads.emplace_back([&] { ioc.run(); });

  config::Config config;
  config.openai_base_url = base + "/v1";
  config.chat_model = "bench";
  auto options = upstream::AdapterOptions::from_config(config);
  options.http.max_idle_per_host = 2048;
  auto model = upstream::make_chat_model(config, ioc.get_executor(), options);

  std::printf("client threads=%d fake=%s (fake threads=%d)\n", args.workers,
              fake ? "in-process" : "external", args.fake_threads);
  if (args.sequential > 0 || args.throughput > 0)
    run_calls(*model, ioc, 200, 1);  // warm-up: connections, allocators
  if (args.sequential > 0) report("sequential, 0 ms", run_calls(*model, ioc, args.sequential, 1));
  if (args.throughput > 0)
    report("64 in flight, 0 ms", run_calls(*model, ioc, args.throughput, 64));
  if (args.concurrent > 0) {
    if (fake) fake->configure("{\"latency_ms\":" + std::to_string(args.latency_ms) + "}");
    const std::string name = std::to_string(args.concurrent) + " at once, " +
                             std::to_string(args.latency_ms) + " ms";
    report(name.c_str(), run_calls(*model, ioc, args.concurrent, args.concurrent));
  }
  const auto stats = model->stats()->snapshot();
  std::printf("adapter stats: calls=%llu attempts=%llu retries=%llu failures_timeout=%llu\n",
              static_cast<unsigned long long>(stats.calls),
              static_cast<unsigned long long>(stats.attempts),
              static_cast<unsigned long long>(stats.retries),
              static_cast<unsigned long long>(stats.failures_timeout));
  model.reset();
  work.reset();
  ioc.stop();
  for (auto& t : threads) t.join();
  return 0;
}

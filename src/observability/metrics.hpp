// Prometheus metrics (text exposition format 0.0.4). Series are registered once (start-up or
// first use, under a lock) and then updated lock-free through the returned reference, so the
// hot path never takes a global lock. Values that live elsewhere (sessions, breaker state,
// RSS) are read at scrape time through callbacks.
//
// Thread-safety: everything may be called from any thread. The registry is one of the two
// process-wide singletons (with the logger).
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace rag::observability {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with upper bounds in seconds (or any unit); sum kept in microunits.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;
  // Appends `name_bucket{labels,le=...}`, `name_sum`, `name_count` lines.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bound, not cumulative
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::int64_t> sum_micro_{0};
};

// Default latency buckets in seconds: 0.5 ms … 60 s.
const std::vector<double>& latency_buckets();

class Registry {
 public:
  static Registry& global();

  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels,
                       const std::vector<double>& bounds = latency_buckets());
  // A value computed at scrape time; `type` is "gauge" or "counter".
  void callback(const std::string& name, const std::string& help, const std::string& type,
                const Labels& labels, std::function<double()> read);

  // Appends whole families (with their # HELP / # TYPE lines) at scrape time, for values
  // kept by another module in its own structure (e.g. upstream latency buckets).
  void collector(std::function<void(std::string& out)> append);

  std::string render() const;

 private:
  struct Series {
    std::string labels;  // rendered: {a="b",c="d"} or ""
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    std::string help;
    std::string type;
    std::deque<Series> series;
  };
  Series& series(const std::string& name, const std::string& help, const std::string& type,
                 const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

// Escapes a label value and renders {k="v",...}.
std::string render_labels(const Labels& labels);

// Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown.
double resident_memory_bytes();

}  // namespace rag::observability

#include "observability/metrics.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace rag::observability {

void Gauge::add(double d) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + d, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<std::int64_t>(std::llround(value * 1e6)),
                       std::memory_order_relaxed);
}

double Histogram::sum() const { return sum_micro_.load(std::memory_order_relaxed) / 1e6; }

namespace {

std::string format_value(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

// Inserts `extra` (k="v") into a rendered label set.
std::string with_label(const std::string& labels, const std::string& extra) {
  if (labels.empty()) return "{" + extra + "}";
  return labels.substr(0, labels.size() - 1) + "," + extra + "}";
}

}  // namespace

void Histogram::render(std::string& out, const std::string& name,
                       const std::string& labels) const {
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += name + "_bucket" + with_label(labels, "le=\"" + format_value(bounds_[i]) + "\"") +
           " " + std::to_string(cumulative) + "\n";
  }
  const auto total = count();
  out += name + "_bucket" + with_label(labels, "le=\"+Inf\"") + " " + std::to_string(total) + "\n";
  out += name + "_sum" + labels + " " + format_value(sum()) + "\n";
  out += name + "_count" + labels + " " + std::to_string(total) + "\n";
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10,
                                             30,     60};
  return bounds;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"";
    for (char c : labels[i].second) {
      if (c == '\\') out += "\\\\";
      else if (c == '"') out += "\\\"";
      else if (c == '\n') out += "\\n";
      else out += c;
    }
    out += '"';
  }
  return out + "}";
}

Registry& Registry::global() {
  static Registry registry;
  return registry;
}

Registry::Series& Registry::series(const std::string& name, const std::string& help,
                                   const std::string& type, const Labels& labels) {
  // REQUIRES: mutex_ held.
  auto& family = families_[name];
  if (family.type.empty()) {
    family.help = help;
    family.type = type;
  }
  const auto rendered = render_labels(labels);
  for (auto& s : family.series)
    if (s.labels == rendered) return s;
  family.series.push_back(Series{rendered, nullptr, nullptr, nullptr, nullptr});
  return family.series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help,
                           const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& s = series(name, help, "counter", labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& s = series(name, help, "gauge", labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mutex_);
  auto& s = series(name, help, "histogram", labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(bounds);
  return *s.histogram;
}

void Registry::callback(const std::string& name, const std::string& help, const std::string& type,
                        const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  series(name, help, type, labels).read = std::move(read);
}

void Registry::collector(std::function<void(std::string& out)> append) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(append));
}

std::string Registry::render() const {
  std::string out;
  out.reserve(16384);
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& s : family.series) {
      if (s.histogram) s.histogram->render(out, name, s.labels);
      else if (s.counter) out += name + s.labels + " " + std::to_string(s.counter->value()) + "\n";
      else if (s.gauge) out += name + s.labels + " " + format_value(s.gauge->value()) + "\n";
      else if (s.read) out += name + s.labels + " " + format_value(s.read()) + "\n";
    }
  }
  for (const auto& append : collectors_) append(out);
  return out;
}

double resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace rag::observability

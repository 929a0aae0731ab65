#include <gtest/gtest.h>

#include <thread>

#include "observability/metrics.hpp"

namespace rag::observability {
namespace {

TEST(Registry, RendersCountersWithHelpTypeAndLabels) {
  Registry r;
  r.counter("rag_things_total", "Things.", {{"kind", "a\"b"}}).inc(3);
  r.counter("rag_things_total", "Things.", {{"kind", "c"}}).inc();
  const auto text = r.render();
  EXPECT_NE(text.find("# HELP rag_things_total Things.\n# TYPE rag_things_total counter\n"),
            std::string::npos);
  EXPECT_NE(text.find("rag_things_total{kind=\"a\\\"b\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("rag_things_total{kind=\"c\"} 1\n"), std::string::npos);
}

TEST(Registry, SameSeriesIsTheSameObject) {
  Registry r;
  auto& a = r.counter("x_total", "X.", {{"k", "v"}});
  auto& b = r.counter("x_total", "X.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

TEST(Histogram, BucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.histogram("lat_seconds", "Latency.", {{"route", "/"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const auto text = r.render();
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{route=\"/\"} 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{route=\"/\"} 3\n"), std::string::npos);
}

TEST(Registry, CallbacksAreReadAtScrapeTime) {
  Registry r;
  double value = 1;
  r.callback("g", "G.", "gauge", {}, [&] { return value; });
  value = 42;
  EXPECT_NE(r.render().find("g 42\n"), std::string::npos);
}

TEST(Counter, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& c = r.counter("c_total", "C.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
}

TEST(ResidentMemory, IsPositive) { EXPECT_GT(resident_memory_bytes(), 0); }

}  // namespace
}  // namespace rag::observability

#include "observability/http_metrics.hpp"

#include <gtest/gtest.h>

#include <string>

#include "observability/metrics.hpp"

namespace rag::observability {
namespace {

std::size_t lines_with(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(MethodLabel, KeepsStandardMethodsAndFoldsEveryOtherTokenIntoOne) {
  EXPECT_EQ(method_label("GET"), "GET");
  EXPECT_EQ(method_label("PATCH"), "PATCH");
  EXPECT_EQ(method_label("OPTIONS"), "OPTIONS");
  EXPECT_EQ(method_label("get"), "OTHER");  // methods are case-sensitive
  EXPECT_EQ(method_label("BREW"), "OTHER");
  EXPECT_EQ(method_label(""), "OTHER");
}

TEST(HttpMetrics, InventedMethodsAddOneSeriesNotOnePerMethod) {
  for (int i = 0; i < 200; ++i)
    record_http_request("/label-bound-test", "X" + std::to_string(i), 405, 0.001);
  record_http_request("/label-bound-test", "GET", 200, 0.001);
  const auto text = Registry::global().render();
  EXPECT_EQ(lines_with(text, "rag_http_requests_total{route=\"/label-bound-test\""), 2u);
  EXPECT_EQ(lines_with(text, "route=\"/label-bound-test\",method=\"OTHER\",status=\"405\"} 200"),
            1u);
  EXPECT_EQ(lines_with(text, "method=\"X1"), 0u);
}

}  // namespace
}  // namespace rag::observability

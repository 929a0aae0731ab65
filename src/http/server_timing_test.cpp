#include "http/server_timing.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace rag::http {
namespace {

TEST(ServerTiming, StagesInOrderThenTheTotal) {
  Request req{Verb::post, "/chat", 11};
  RequestContext ctx(req, "127.0.0.1");
  ctx.started -= std::chrono::milliseconds(40);
  ctx.timings.push_back({"embed", 12.06});
  ctx.timings.push_back({"retrieve", 0.8});
  const std::string value = server_timing(ctx);
  std::smatch m;
  ASSERT_TRUE(std::regex_match(value, m,
                               std::regex(R"(embed;dur=12\.1, retrieve;dur=0\.8, total;dur=(\d+\.\d))")))
      << value;
  EXPECT_GE(std::stod(m[1]), 40.0);
}

TEST(ServerTiming, WithoutStagesOnlyTheTotalAndTheHeaderIsSet) {
  Request req{Verb::get, "/", 11};
  RequestContext ctx(req, "127.0.0.1");
  auto res = json_response(Status::ok, "{}");
  set_server_timing(res, ctx);
  EXPECT_TRUE(std::regex_match(std::string(res["Server-Timing"]), std::regex(R"(total;dur=\d+\.\d)")));
}

TEST(ServerTiming, ResetForgetsTheStages) {
  Request req{Verb::get, "/", 11};
  RequestContext ctx(req, "127.0.0.1");
  ctx.timings.push_back({"llm", 3});
  ctx.reset();
  EXPECT_TRUE(ctx.timings.empty());
}

}  // namespace
}  // namespace rag::http

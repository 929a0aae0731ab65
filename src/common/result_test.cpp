#include "common/result.hpp"

#include <gtest/gtest.h>

namespace rag {
namespace {

Result<void> step(bool ok, int& calls) {
  ++calls;
  if (!ok) return fail(ErrorCode::kIo, "step failed");
  return {};
}

Result<int> two_steps(bool first_ok, bool second_ok, int& calls) {
  RAG_TRY(step(first_ok, calls));
  RAG_TRY(step(second_ok, calls));
  return 7;
}

TEST(RagTry, GoesOnWhileStepsSucceed) {
  int calls = 0;
  const auto r = two_steps(true, true, calls);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 7);
  EXPECT_EQ(calls, 2);
}

TEST(RagTry, ReturnsTheFirstErrorAndStops) {
  int calls = 0;
  const auto r = two_steps(false, true, calls);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().message, "step failed");
  EXPECT_EQ(calls, 1);
}

TEST(RagTry, EvaluatesItsExpressionOnce) {
  int calls = 0;
  const auto r = two_steps(true, false, calls);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace rag

#include "chat/options.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace rag::chat {
namespace {

TEST(PipelineOptions, FollowTheConfiguration) {
  config::Config c;
  c.max_conversation_history = 6;
  c.chat_temperature = 0.7;
  c.chat_max_tokens = 42;
  auto o = pipeline_options(c, "No idea.");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->max_history, 6u);
  EXPECT_DOUBLE_EQ(o->temperature, 0.7);
  EXPECT_EQ(o->max_tokens, 42);
  EXPECT_EQ(o->refusal_text, "No idea.");
  EXPECT_EQ(o->system_template, std::string(kDefaultSystemTemplate));
  EXPECT_EQ(o->k, 5);
}

TEST(PipelineOptions, SystemPromptFileIsReadOrAStartUpError) {
  config::Config c;
  c.system_prompt_file = ::testing::TempDir() + "/rag_options_prompt.txt";
  std::ofstream(c.system_prompt_file) << "Course assistant.\n{context}";
  auto o = pipeline_options(c);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->system_template, "Course assistant.\n{context}");
  EXPECT_EQ(o->refusal_text, std::string(kDefaultRefusal));
  c.system_prompt_file = "/nonexistent/prompt.txt";
  auto bad = pipeline_options(c);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("SYSTEM_PROMPT_FILE"), std::string::npos);
}

}  // namespace
}  // namespace rag::chat

#include "api/chat_api.hpp"

#include <gtest/gtest.h>

namespace rag::api {
namespace {

using nlohmann::json;

json errors_of(std::string_view body, InputLimits limits = {}) {
  auto r = parse_chat_request(body, "application/json", limits);
  EXPECT_FALSE(r.has_value());
  return r ? json() : json::parse(r.error().body());
}

TEST(ChatRequest, ParsesAllFields) {
  auto r = parse_chat_request(
      R"({"message": "hi", "session_id": "a.B_c:1-2", "stream": true,
          "history": [{"role": "user", "content": "q", "timestamp": "t"},
                      {"role": "assistant", "content": "a"}]})",
      "application/json");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->message, "hi");
  EXPECT_EQ(r->session_id, "a.B_c:1-2");
  EXPECT_TRUE(r->stream);
  ASSERT_TRUE(r->history.has_value());
  ASSERT_EQ(r->history->size(), 2u);
  EXPECT_EQ((*r->history)[0].timestamp, "t");
  EXPECT_EQ((*r->history)[1].role, "assistant");
}

TEST(ChatRequest, NullSessionIdIsAbsent) {
  auto r = parse_chat_request(R"({"message": "hi", "session_id": null, "history": null})",
                              "application/json");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->session_id.has_value());
  EXPECT_FALSE(r->history.has_value());
  EXPECT_FALSE(r->stream);
}

TEST(ChatRequest, MissingMessageIsFastApiShaped) {
  EXPECT_EQ(errors_of(R"({"session_id": "x"})"),
            json::parse(R"({"detail": [{"loc": ["body", "message"], "msg": "field required",
                                        "type": "value_error.missing"}]})"));
}

TEST(ChatRequest, TooLongMessageCountsCodePoints) {
  EXPECT_TRUE(
      parse_chat_request(R"({"message": "ééé"})", "application/json", {.max_message_chars = 3})
          .has_value());
  auto e = errors_of(R"({"message": "éééé"})", {.max_message_chars = 3});
  EXPECT_EQ(e["detail"][0]["type"], "value_error.any_str.max_length");
  EXPECT_EQ(e["detail"][0]["loc"], json::parse(R"(["body", "message"])"));
}

TEST(ChatRequest, SessionIdMustMatchThePattern) {
  for (const char* bad : {R"("")", R"("a b")", R"("a/b")", R"("é")"}) {
    auto e = errors_of(std::string(R"({"message": "m", "session_id": )") + bad + "}");
    EXPECT_EQ(e["detail"][0]["type"], "value_error.str.regex") << bad;
    EXPECT_EQ(e["detail"][0]["loc"], json::parse(R"(["body", "session_id"])"));
  }
  auto e = errors_of(R"({"message": "m", "session_id": ")" + std::string(129, 'a') + R"("})");
  EXPECT_EQ(e["detail"][0]["type"], "value_error.str.regex");
  EXPECT_TRUE(
      parse_chat_request(R"({"message": "m", "session_id": ")" + std::string(128, 'a') + R"("})",
                         "application/json")
          .has_value());
}

TEST(ChatRequest, HistoryItemErrorsCarryTheirIndex) {
  auto e = errors_of(R"({"message": "m", "history": [{"role": "user", "content": "a"},
                                                     {"role": "user"}]})");
  EXPECT_EQ(e["detail"][0]["loc"], json::parse(R"(["body", "history", 1, "content"])"));
  EXPECT_EQ(e["detail"][0]["msg"], "field required");
  auto role = errors_of(R"({"message": "m", "history": [{"role": "system", "content": "a"}]})");
  EXPECT_EQ(role["detail"][0]["loc"], json::parse(R"(["body", "history", 0, "role"])"));
  EXPECT_EQ(role["detail"][0]["type"], "type_error.enum");
  auto notlist = errors_of(R"({"message": "m", "history": "x"})");
  EXPECT_EQ(notlist["detail"][0]["type"], "type_error.list");
  auto notdict = errors_of(R"({"message": "m", "history": [3]})");
  EXPECT_EQ(notdict["detail"][0]["loc"], json::parse(R"(["body", "history", 0])"));
}

TEST(ChatRequest, HistoryOverItsItemBoundIsOneErrorAndItsItemsAreNotRead) {
  std::string items;
  for (int i = 0; i < 5; ++i) items += std::string(i ? "," : "") + "{}";
  auto e =
      errors_of(R"({"message": "m", "history": [)" + items + "]}", {.max_history_messages = 4});
  EXPECT_EQ(e, json::parse(R"({"detail": [{"loc": ["body", "history"],
                                          "msg": "ensure this value has at most 4 items",
                                          "type": "value_error.list.max_items",
                                          "ctx": {"limit_value": 4}}]})"));
  EXPECT_TRUE(parse_chat_request(R"({"message": "m", "history": [)" +
                                     std::string(R"({"role": "user", "content": "c"},)") +
                                     R"({"role": "user", "content": "c"}]})",
                                 "application/json", {.max_history_messages = 2})
                  .has_value());
}

TEST(ChatRequest, HistoryItemContentIsBoundedInCodePoints) {
  EXPECT_TRUE(
      parse_chat_request(R"({"message": "m", "history": [{"role": "user", "content": "ééé"}]})",
                         "application/json", {.max_history_chars = 3})
          .has_value());
  auto e = errors_of(R"({"message": "m", "history": [{"role": "user", "content": "éééé"}]})",
                     {.max_history_chars = 3});
  EXPECT_EQ(e["detail"][0]["loc"], json::parse(R"(["body", "history", 0, "content"])"));
  EXPECT_EQ(e["detail"][0]["type"], "value_error.any_str.max_length");
  EXPECT_EQ(e["detail"][0]["ctx"]["limit_value"], 3);
}

TEST(ChatRequest, ReportsAtMostAFixedNumberOfErrorsWhateverTheBody) {
  std::string items;
  for (int i = 0; i < 200; ++i) items += std::string(i ? "," : "") + "{}";  // 2 errors each
  const std::string body = R"({"message": "m", "history": [)" + items + "]}";
  auto r = parse_chat_request(body, "application/json");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().errors().size(), ValidationErrors::kMaxErrors);
  EXPECT_LT(r.error().body().size(), 4096u);
  const auto first = json::parse(r.error().body())["detail"][0];
  EXPECT_EQ(first["loc"], json::parse(R"(["body", "history", 0, "role"])"));
}

TEST(ChatRequest, StreamMustBeABool) {
  auto e = errors_of(R"({"message": "m", "stream": "maybe"})");
  EXPECT_EQ(e["detail"][0]["type"], "type_error.bool");
}

TEST(ChatResponse, ShapeAndPreview) {
  chat::ChatOutcome o;
  o.response = "r";
  o.session_id = "s";
  o.timestamp = "2024-01-15T10:30:45.123456";
  o.sources = {{"/u", "T", std::string(250, 'x'), 0.5}, {"/v", "V", "short", 1}};
  const auto j = chat_response_json(o);
  EXPECT_EQ(j.dump(), nlohmann::ordered_json::parse(
                          R"({"response":"r","session_id":"s","timestamp":"2024-01-15T10:30:45.123456","sources":[)"
                          R"({"url":"/u","title":"T","content_preview":")" + std::string(200, 'x') +
                          R"(...","content_full":")" + std::string(250, 'x') +
                          R"(","similarity_score":0.5},{"url":"/v","title":"V","content_preview":"short",)"
                          R"("content_full":"short","similarity_score":1.0}]})")
                          .dump());
  o.mode = chat::AnswerMode::kExtractive;
  EXPECT_EQ(chat_response_json(o)["mode"], "extractive");
}

}  // namespace
}  // namespace rag::api

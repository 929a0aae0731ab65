#include "api/validation.hpp"

#include <gtest/gtest.h>

#include <regex>


namespace rag::api {
namespace {

using json = nlohmann::json;

std::string parse_error_body(std::string_view body, std::string_view content_type = "application/json",
                             BodyLimits limits = {}) {
  auto parsed = parse_json_object_body(body, content_type, limits);
  EXPECT_FALSE(parsed.has_value());
  return parsed ? std::string() : parsed.error().body();
}

TEST(Validation, ErrorBodyHasFastApiShape) {
  ValidationErrors errors;
  errors.add(missing_error(body_loc("query")));
  EXPECT_EQ(errors.body(),
            R"({"detail":[{"loc":["body","query"],"msg":"field required","type":"value_error.missing"}]})");
}

TEST(Validation, RangeErrorsCarryTheirLimit) {
  ValidationErrors errors;
  errors.add(not_ge_error(body_loc("k"), 1));
  errors.add(not_le_error(body_loc("k"), 50));
  EXPECT_EQ(errors.body(),
            R"({"detail":[{"loc":["body","k"],"msg":"ensure this value is greater than or equal to 1",)"
            R"("type":"value_error.number.not_ge","ctx":{"limit_value":1}},)"
            R"({"loc":["body","k"],"msg":"ensure this value is less than or equal to 50",)"
            R"("type":"value_error.number.not_le","ctx":{"limit_value":50}}]})");
}

TEST(Validation, OtherPydanticMessages) {
  EXPECT_EQ(not_str_error({}).msg, "str type expected");
  EXPECT_EQ(not_int_error({}).type, "type_error.integer");
  EXPECT_EQ(not_dict_error({}).msg, "value is not a valid dict");
  EXPECT_EQ(none_not_allowed_error({}).type, "type_error.none.not_allowed");
  EXPECT_EQ(max_length_error({}, 8000).msg, "ensure this value has at most 8000 characters");
  EXPECT_EQ(not_list_error({}).type, "type_error.list");
  EXPECT_EQ(not_bool_error({}).msg, "value could not be parsed to a boolean");
  ValidationErrors errors;
  errors.add(FieldError{{std::string("body"), std::string("history"), 0, std::string("content")},
                        "field required", "value_error.missing", nullptr});
  EXPECT_EQ(json::parse(errors.body())["detail"][0]["loc"],
            json::parse(R"(["body","history",0,"content"])"));
}

TEST(ParseBody, AcceptsAJsonObject) {
  auto parsed = parse_json_object_body(R"({"query": "x"})", "application/json; charset=utf-8");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ((*parsed)["query"], "x");
  EXPECT_TRUE(parse_json_object_body("{}", "").has_value());  // no content type → JSON
  EXPECT_TRUE(parse_json_object_body("{}", "Application/Vnd.Api+JSON").has_value());
}

TEST(ParseBody, MalformedJsonGivesTheCharacterOffset) {
  const auto body = json::parse(parse_error_body(R"({"query": "x",})"));
  const auto& d = body["detail"][0];
  EXPECT_EQ(d["loc"], json::parse(R"(["body", 14])"));
  EXPECT_EQ(d["type"], "value_error.jsondecode");
  EXPECT_EQ(d["msg"], "Invalid JSON: line 1 column 15 (char 14)");
  EXPECT_FALSE(d.contains("ctx"));  // never echo the body
}

// Found by fuzz/json_validation: nlohmann throws out_of_range (not parse_error) for a number
// beyond double's range, which used to escape as a 500.
TEST(ParseBody, NumberOutOfRangeIsA422NotA500) {
  const auto body = json::parse(parse_error_body(R"({"query": "x", "k": 1e400})"));
  EXPECT_EQ(body["detail"][0]["type"], "value_error.jsondecode");
  EXPECT_EQ(body["detail"][0]["msg"], "Invalid JSON: number out of range");
}

TEST(ParseBody, OffsetsCountCharactersNotBytes) {
  const auto body = json::parse(parse_error_body("{\"q\": \"\xC3\xA9\xC3\xA9\" x}"));
  EXPECT_EQ(body["detail"][0]["loc"][1], 11);
}

TEST(ParseBody, NonJsonContentTypeIsNotADict) {
  EXPECT_EQ(parse_error_body(R"({"query": "x"})", "text/plain"),
            R"({"detail":[{"loc":["body"],"msg":"value is not a valid dict","type":"type_error.dict"}]})");
  EXPECT_EQ(json::parse(parse_error_body("[1, 2]"))["detail"][0]["type"], "type_error.dict");
  EXPECT_EQ(json::parse(parse_error_body("\"query\""))["detail"][0]["type"], "type_error.dict");
}

TEST(ParseBody, EmptyOrNullBodyIsMissing) {
  EXPECT_EQ(parse_error_body(""),
            R"({"detail":[{"loc":["body"],"msg":"field required","type":"value_error.missing"}]})");
  EXPECT_EQ(json::parse(parse_error_body("null"))["detail"][0]["type"], "value_error.missing");
}

TEST(ParseBody, InvalidUtf8Is422) {
  const auto body = json::parse(parse_error_body("{\"query\": \"\xC3\x28\"}"));
  EXPECT_EQ(body["detail"][0]["type"], "value_error.jsondecode");
  EXPECT_EQ(body["detail"][0]["msg"], "Body is not valid UTF-8");
}

TEST(ParseBody, NestingDeeperThanTheLimitIs422) {
  BodyLimits limits;
  limits.max_depth = 4;
  EXPECT_TRUE(parse_json_object_body(R"({"a":[[[1]]]})", "", limits).has_value());
  const auto body = json::parse(parse_error_body(R"({"a":[[[[1]]]]})", "", limits));
  EXPECT_EQ(body["detail"][0]["type"], "value_error.jsondecode");
  EXPECT_EQ(body["detail"][0]["loc"][1], 8);
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_json_object_body(R"({"a":"[[[[[[[[\"[["})", "", limits).has_value());
  // The default limit stops a pathological body without recursion trouble.
  EXPECT_FALSE(parse_json_object_body(std::string(100000, '['), "").has_value());
}

TEST(Coerce, StrFollowsPydantic1) {
  ValidationErrors errors;
  const Loc loc = body_loc("query");
  EXPECT_EQ(coerce_str(json("x"), loc, errors), "x");
  EXPECT_EQ(coerce_str(json(5), loc, errors), "5");
  EXPECT_EQ(coerce_str(json(1.5), loc, errors), "1.5");
  EXPECT_EQ(coerce_str(json(true), loc, errors), "True");
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(coerce_str(json::array(), loc, errors));
  EXPECT_FALSE(coerce_str(json(nullptr), loc, errors));
  ASSERT_EQ(errors.errors().size(), 2u);
  EXPECT_EQ(errors.errors()[0].type, "type_error.str");
  EXPECT_EQ(errors.errors()[1].type, "type_error.none.not_allowed");
}

TEST(Coerce, IntFollowsPydantic1) {
  ValidationErrors errors;
  const Loc loc = body_loc("k");
  EXPECT_EQ(coerce_int(json(7), loc, errors), 7);
  EXPECT_EQ(coerce_int(json(" 7 "), loc, errors), 7);
  EXPECT_EQ(coerce_int(json("-3"), loc, errors), -3);
  EXPECT_EQ(coerce_int(json("1_000"), loc, errors), 1000);
  EXPECT_EQ(coerce_int(json(3.7), loc, errors), 3);
  EXPECT_EQ(coerce_int(json(true), loc, errors), 1);
  EXPECT_EQ(coerce_int(json(18446744073709551615ull), loc, errors),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(coerce_int(json("99999999999999999999999"), loc, errors),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(errors.empty());
  for (const auto* bad : {R"("abc")", R"("5.0")", R"("")", R"("1__0")", "[]", "{}"}) {
    ValidationErrors e;
    EXPECT_FALSE(coerce_int(json::parse(bad), loc, e)) << bad;
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].msg, "value is not a valid integer");
    EXPECT_EQ(e.errors()[0].type, "type_error.integer");
  }
}

TEST(Coerce, BoolFollowsPydantic1) {
  ValidationErrors errors;
  const Loc loc = body_loc("stream");
  EXPECT_EQ(coerce_bool(json(true), loc, errors), true);
  EXPECT_EQ(coerce_bool(json("Yes"), loc, errors), true);
  EXPECT_EQ(coerce_bool(json("off"), loc, errors), false);
  EXPECT_EQ(coerce_bool(json(0), loc, errors), false);
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(coerce_bool(json("maybe"), loc, errors));
  EXPECT_FALSE(coerce_bool(json(2), loc, errors));
  EXPECT_EQ(errors.errors().size(), 2u);
}

TEST(CheckRange, ReportsTheViolatedBound) {
  ValidationErrors errors;
  EXPECT_TRUE(check_range(1, 1, 50, body_loc("k"), errors));
  EXPECT_TRUE(check_range(50, 1, 50, body_loc("k"), errors));
  EXPECT_FALSE(check_range(0, 1, 50, body_loc("k"), errors));
  EXPECT_FALSE(check_range(51, 1, 50, body_loc("k"), errors));
  ASSERT_EQ(errors.errors().size(), 2u);
  EXPECT_EQ(errors.errors()[0].type, "value_error.number.not_ge");
  EXPECT_EQ(errors.errors()[1].type, "value_error.number.not_le");
}

}  // namespace
}  // namespace rag::api

#include "api/search_api.hpp"

#include <gtest/gtest.h>

#include <random>

namespace rag::api {
namespace {

using json = nlohmann::json;

std::string errors_of(std::string_view body, std::string_view content_type = "application/json") {
  auto parsed = parse_search_request(body, content_type);
  EXPECT_FALSE(parsed.has_value()) << body;
  return parsed ? std::string() : parsed.error().body();
}

TEST(SearchRequest, QueryAndK) {
  auto r = parse_search_request(R"({"query": "teaching programming", "k": 3})", "application/json");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->query, "teaching programming");
  EXPECT_EQ(r->k, 3);
}

TEST(SearchRequest, KAbsentOrNullIsFive) {
  EXPECT_EQ(parse_search_request(R"({"query": "x"})", "application/json")->k, 5);
  EXPECT_EQ(parse_search_request(R"({"query": "x", "k": null})", "application/json")->k, 5);
  EXPECT_EQ(parse_search_request(R"({"query": "x", "k": "7"})", "application/json")->k, 7);
}

TEST(SearchRequest, MissingQuery) {
  EXPECT_EQ(errors_of(R"({"k": 3})"),
            R"({"detail":[{"loc":["body","query"],"msg":"field required","type":"value_error.missing"}]})");
}

TEST(SearchRequest, KNotAnInteger) {
  EXPECT_EQ(errors_of(R"({"query": "x", "k": "abc"})"),
            R"({"detail":[{"loc":["body","k"],"msg":"value is not a valid integer","type":"type_error.integer"}]})");
}

TEST(SearchRequest, KOutOfRange) {
  for (const char* k : {"0", "-1"}) {
    const auto d = json::parse(errors_of(std::string(R"({"query": "x", "k": )") + k + "}"));
    EXPECT_EQ(d["detail"][0]["type"], "value_error.number.not_ge");
    EXPECT_EQ(d["detail"][0]["msg"], "ensure this value is greater than or equal to 1");
    EXPECT_EQ(d["detail"][0]["ctx"]["limit_value"], 1);
  }
  const auto d = json::parse(errors_of(R"({"query": "x", "k": 1000})"));
  EXPECT_EQ(d["detail"][0]["loc"], json::parse(R"(["body","k"])"));
  EXPECT_EQ(d["detail"][0]["type"], "value_error.number.not_le");
  EXPECT_EQ(d["detail"][0]["msg"], "ensure this value is less than or equal to 50");
}

TEST(SearchRequest, EveryFieldErrorIsReported) {
  const auto d = json::parse(errors_of(R"({"k": "abc"})"));
  ASSERT_EQ(d["detail"].size(), 2u);
  EXPECT_EQ(d["detail"][0]["loc"][1], "query");
  EXPECT_EQ(d["detail"][1]["loc"][1], "k");
}

TEST(SearchRequest, QueryTypes) {
  EXPECT_EQ(json::parse(errors_of(R"({"query": null})"))["detail"][0]["type"],
            "type_error.none.not_allowed");
  EXPECT_EQ(json::parse(errors_of(R"({"query": ["a"]})"))["detail"][0]["msg"],
            "str type expected");
  EXPECT_EQ(parse_search_request(R"({"query": 42})", "")->query, "42");
}

TEST(SearchRequest, QueryIsBoundedInCodePoints) {
  const InputLimits limits{.max_query_chars = 3};
  EXPECT_EQ(parse_search_request(R"({"query": "ééé"})", "application/json", limits)->query, "ééé");
  auto r = parse_search_request(R"({"query": "éééé"})", "application/json", limits);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(
      r.error().body(),
      R"({"detail":[{"loc":["body","query"],"msg":"ensure this value has at most 3 characters",)"
      R"("type":"value_error.any_str.max_length","ctx":{"limit_value":3}}]})");
  // The default bound is MAX_MESSAGE_CHARS's: a query of a few hundred thousand words is refused.
  std::string words;
  for (int i = 0; i < 100000; ++i) words += "word ";
  EXPECT_FALSE(parse_search_request(R"({"query": ")" + words + R"("})", "application/json"));
}

TEST(SearchRequest, EmptyAndBlankQueriesAreValid) {
  EXPECT_EQ(parse_search_request(R"({"query": ""})", "application/json")->query, "");
  EXPECT_EQ(parse_search_request(R"({"query": "   "})", "application/json")->query, "   ");
}

TEST(SearchRequest, BodyProblems) {
  EXPECT_EQ(errors_of(R"({"query": "x"})", "text/plain"),
            R"({"detail":[{"loc":["body"],"msg":"value is not a valid dict","type":"type_error.dict"}]})");
  const auto d = json::parse(errors_of(R"({"query": "x",})"));
  EXPECT_EQ(d["detail"][0]["loc"], json::parse(R"(["body",14])"));
  EXPECT_EQ(d["detail"][0]["type"], "value_error.jsondecode");
}

// The response as nlohmann spells it: the reference search_response_body() writes directly.
nlohmann::ordered_json hit_to_json(const retrieval::Hit& hit) {
  const auto& meta = hit.metadata;
  return nlohmann::ordered_json{
      {"score", hit.score},
      {"content", hit.content},
      {"metadata", meta.api_json(hit.chunk_id)},
      {"citation_url", meta.citation_url},
      {"page_title", meta.page_title},
      {"citation", citation_text(meta.page_title, meta.citation_url)},
  };
}
std::string reference_body(const std::vector<retrieval::Hit>& hits, std::string_view query,
                           std::string_view timestamp) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& hit : hits) results.push_back(hit_to_json(hit));
  const nlohmann::ordered_json body{
      {"results", std::move(results)},
      {"query", query},
      {"timestamp", timestamp},
  };
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

retrieval::Hit cv_hit() {
  retrieval::Hit hit;
  hit.score = 0.335;
  hit.chunk_id = 34;
  hit.content = "Teaching \"programming\"";
  hit.metadata = store::ChunkMetadata::parse(
      R"({"source": "html/CV.html", "length": 152, "section": "Appointments", )"
      R"("citation_url": "/CV", "page_title": "Curriculum Vitæ"})");
  return hit;
}

TEST(SearchResponse, ExactShapeAndKeyOrder) {
  const std::string body =
      search_response_body({cv_hit()}, "teaching programming", "2026-11-24T18:50:59.897883");
  const std::string expected =
      R"x({"results":[{"score":0.335,"content":"Teaching \"programming\"",)x"
      R"x("metadata":{"chunk_id":34,"source":"html/CV.html","length":152,)x"
      R"x("section":"Appointments","citation_url":"/CV","page_title":"Curriculum Vitæ"},)x"
      R"x("citation_url":"/CV","page_title":"Curriculum Vitæ",)x"
      R"x("citation":"Curriculum Vitæ (/CV)"}],)x"
      R"x("query":"teaching programming","timestamp":"2026-11-24T18:50:59.897883"})x";
  EXPECT_EQ(body, expected);
}

TEST(SearchResponse, SpelledAsNlohmannSpellsTheSameObject) {
  std::mt19937 rng(5);
  // Bytes that need escaping, multi-byte characters, and faults (a stray continuation byte, a
  // cut sequence, a surrogate, an overlong form) among plain text.
  const std::vector<std::string> pieces{"plain words ",
                                        "\"",
                                        "\\",
                                        "\n",
                                        "\t",
                                        "\r",
                                        "\b",
                                        "\f",
                                        std::string(1, '\0'),
                                        "\x01",
                                        "\x1f",
                                        "\x7f",
                                        "Vitæ",
                                        "€",
                                        "𝄞",
                                        "\x80",
                                        "\xE2\x82",
                                        "\xED\xA0\x80",
                                        "\xC0\xAF",
                                        "\xF4\x90\x80\x80",
                                        "/",
                                        "'"};
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 12);
  const auto text = [&] {
    std::string out;
    for (int i = length(rng); i > 0; --i) out += pieces[pick(rng)];
    return out;
  };
  for (int round = 0; round < 300; ++round) {
    std::vector<retrieval::Hit> hits(static_cast<std::size_t>(length(rng) % 4));
    for (auto& hit : hits) {
      hit.score = std::uniform_real_distribution<double>(0, 1)(rng);
      hit.chunk_id = static_cast<std::int64_t>(rng() % 100000);
      hit.content = text();
      hit.metadata.page_title = text();
      hit.metadata.citation_url = text();
    }
    const std::string query = text();
    const std::string timestamp = text();
    ASSERT_EQ(search_response_body(hits, query, timestamp), reference_body(hits, query, timestamp))
        << "round " << round;
  }
  EXPECT_EQ(search_response_body({cv_hit()}, "q", "t"), reference_body({cv_hit()}, "q", "t"));
}

TEST(SearchResponse, NoResults) {
  EXPECT_EQ(search_response_body({}, "   ", "t"), R"({"results":[],"query":"   ","timestamp":"t"})");
}

TEST(SearchResponse, CitationAndBadMetadata) {
  EXPECT_EQ(citation_text("Title", "/url"), "Title (/url)");
  EXPECT_EQ(citation_text("", "/url"), "/url");
  EXPECT_EQ(citation_text("Title", ""), "Title");
  auto hit = cv_hit();
  hit.metadata = store::ChunkMetadata::parse("oops");
  EXPECT_EQ(hit_to_json(hit)["metadata"].dump(), R"({"chunk_id":34})");
}

}  // namespace
}  // namespace rag::api

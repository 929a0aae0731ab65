// Chunk metadata: the exact stored JSON of `rag-server index` and of an import, the round trip,
// and what /search shows of objects that are not quite either.
#include "store/chunk_metadata.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace rag::store {
namespace {

ChunkMetadata cv_chunk() {
  ChunkMetadata m;
  m.source = "html/CV.html";
  m.length = 5;
  m.content_hash = "abc";
  m.section = "Appointments";
  m.section_level = "h2";
  m.source_file = "html/CV.html";
  m.citation_url = "/CV";
  m.page_title = "Curriculum Vit\xC3\xA6";
  return m;
}

// The bytes `rag-server index` has always written: an index built before the metadata was typed
// reads the same, and one built after it is byte for byte the same file content.
TEST(ChunkMetadata, WritesTheIndexersExactBytes) {
  auto m = cv_chunk();
  EXPECT_EQ(m.to_stored_json(),
            R"({"source":"html/CV.html","length":5,"content_hash":"abc","section":"Appointments",)"
            R"("section_level":"h2","source_file":"html/CV.html","citation_url":"/CV",)"
            R"("page_title":"Curriculum Vitæ","page_description":""})");
  m.published = "2024-01-01";
  m.page_description = "About \"me\"";
  EXPECT_EQ(m.to_stored_json(),
            R"({"source":"html/CV.html","length":5,"content_hash":"abc","section":"Appointments",)"
            R"("section_level":"h2","source_file":"html/CV.html","citation_url":"/CV",)"
            R"("page_title":"Curriculum Vitæ","page_description":"About \"me\"",)"
            R"("published":"2024-01-01"})");
}

TEST(ChunkMetadata, RoundTripsThroughItsStoredText) {
  auto m = cv_chunk();
  EXPECT_EQ(ChunkMetadata::parse(m.to_stored_json()), m);
  m.published = "2024-01-01";
  m.extra_json = R"({"python_id":3,"tags":["a",{"k":1.5}]})";
  const auto text = m.to_stored_json();
  EXPECT_EQ(ChunkMetadata::parse(text), m);
  EXPECT_EQ(ChunkMetadata::parse(text).to_stored_json(), text);
}

TEST(ChunkMetadata, InvalidUtf8IsReplacedAsTheIndexerDid) {
  auto m = cv_chunk();
  m.page_title = "bad \xFF title";
  const auto text = m.to_stored_json();
  EXPECT_NE(text.find("\"page_title\":\"bad \xEF\xBF\xBD title\""), std::string::npos) << text;
}

// An imported entry: the known keys, then the entry's own keys in the order they were written.
TEST(ChunkMetadata, KeepsAnImportsOtherKeysInTheirOrder) {
  const std::string stored =
      R"({"source":"d0.md","length":1,"content_hash":"h","section":"","section_level":"none",)"
      R"("source_file":"d0.md","citation_url":"/d0","page_title":"d0","page_description":"",)"
      R"("python_id":0,"extra":{"z":1,"a":[true,null]},"title":"T"})";
  const auto m = ChunkMetadata::parse(stored);
  EXPECT_EQ(m.citation_url, "/d0");
  EXPECT_EQ(m.extra_json, R"({"python_id":0,"extra":{"z":1,"a":[true,null]},"title":"T"})");
  EXPECT_EQ(m.to_stored_json(), stored);
  EXPECT_EQ(m.api_json(7).dump(), R"({"chunk_id":7,)" + stored.substr(1));
  EXPECT_EQ(m.heading(), "");
}

// /search shows what the index holds: chunk_id first, then the stored keys, no more, no fewer.
TEST(ChunkMetadata, ShowsAbsentKeysAsAbsent) {
  const auto m = ChunkMetadata::parse(R"({"source": "a.md", "length": 2})");
  EXPECT_EQ(m.source, "a.md");
  EXPECT_EQ(m.citation_url, "");
  EXPECT_EQ(m.to_stored_json(), R"({"source":"a.md","length":2})");
  EXPECT_EQ(m.api_json(1).dump(), R"({"chunk_id":1,"source":"a.md","length":2})");
}

TEST(ChunkMetadata, KeepsValuesOfAnotherTypeAsTheyWere) {
  const auto m = ChunkMetadata::parse(
      R"({"source":"a.md","section":5,"length":2.5,"published":"","chunk_id":9,"page_title":"P"})");
  EXPECT_EQ(m.section, "");
  EXPECT_EQ(m.length, 0);
  EXPECT_EQ(m.published, "");
  EXPECT_EQ(m.page_title, "P");
  EXPECT_EQ(m.api_json(3).dump(),
            R"({"chunk_id":3,"source":"a.md","page_title":"P","section":5,"length":2.5,)"
            R"("published":""})");
}

TEST(ChunkMetadata, TextThatIsNotAnObjectHasNoKeys) {
  for (const char* text : {"not json", "[1]", "", "{\"source\": "}) {
    const auto m = ChunkMetadata::parse(text);
    EXPECT_EQ(m.to_stored_json(), "{}") << text;
    EXPECT_EQ(m.api_json(4).dump(), R"({"chunk_id":4})") << text;
  }
}

TEST(ChunkMetadata, HeadingIsTheSectionUnlessItHasNone) {
  auto m = cv_chunk();
  EXPECT_EQ(m.heading(), "Appointments");
  m.section = "Section 2";
  m.section_level = "none";
  EXPECT_EQ(m.heading(), "");
}

// Every typed field drawn from `texts`, a length of each kind, any set of keys marked absent.
ChunkMetadata random_metadata(std::mt19937& rng, const std::vector<std::string>& texts) {
  const auto any = [&] { return texts[rng() % texts.size()]; };
  ChunkMetadata m;
  for (std::string* field :
       {&m.source, &m.content_hash, &m.section, &m.section_level, &m.source_file, &m.citation_url,
        &m.page_title, &m.page_description, &m.published}) {
    *field = any();
  }
  m.length = std::vector<std::int64_t>{0, 5, -1, 1LL << 40}[rng() % 4];
  m.absent_keys = static_cast<std::uint16_t>(rng() & 0x1FF);
  return m;
}

// api_json_text() writes what api_json().dump() writes: for metadata with every mix of absent
// and empty keys, escapes, broken UTF-8, lengths, a publication date and extra keys (one of which
// repeats a typed key, as a hand-made object can), and for the objects the tests above parse.
TEST(ChunkMetadata, ApiTextIsTheApiObjectsDump) {
  const auto dumped = [](const ChunkMetadata& m, std::int64_t id) {
    return m.api_json(id).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  };
  std::mt19937 rng(11);
  const std::vector<std::string> texts{"",         "a.md",   "Vit\xC3\xA6", "say \"hi\"\n",
                                       "bad \xFF", "\x01\\", "/docs/page#x"};
  const std::vector<std::string> extras{"", R"({"python_id":3})", R"({"source":5,"tags":[1]})",
                                        R"({"chunk_id":9})"};
  const auto any = [&](const auto& from) { return from[rng() % from.size()]; };
  for (int round = 0; round < 2000; ++round) {
    ChunkMetadata m = random_metadata(rng, texts);
    m.extra_json = round % 4 == 0 ? any(extras) : "";
    const auto id = static_cast<std::int64_t>(rng() % 1000000);
    ASSERT_EQ(m.api_json_text(id), dumped(m, id)) << "round " << round;
  }
  for (const char* stored : {R"({"source": "a.md", "length": 2})", "not json",
                             R"({"source":"a.md","section":5,"length":2.5,"published":""})"}) {
    const auto m = ChunkMetadata::parse(stored);
    EXPECT_EQ(m.api_json_text(3), dumped(m, 3)) << stored;
  }
  EXPECT_EQ(cv_chunk().api_json_text(34), dumped(cv_chunk(), 34));
}

// parse() reads the form `index` writes without nlohmann, and any other text through it: both
// must agree. Random metadata round-trips through its stored text; that text altered in ways
// JSON allows (white space, another escape, keys reordered, a leading zero, a duplicate or
// extra key, a cut) reads as the same object written back by nlohmann reads.
TEST(ChunkMetadata, ReadsTheIndexersFormAsNlohmannReadsIt) {
  std::mt19937 rng(13);
  const std::vector<std::string> texts{"",
                                       "a.md",
                                       "Vit\xC3\xA6",
                                       "say \"hi\"\n\t",
                                       "\x01\\/",
                                       "caf\xC3\xA9 \xE2\x82\xAC",
                                       "/docs/page#x"};
  const auto any = [&](const auto& from) { return from[rng() % from.size()]; };
  const auto as_nlohmann_writes = [](const std::string& text) {
    auto j = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    return j.is_discarded() ? std::string("not json")
                            : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::vector<std::pair<std::string, std::string>> alterations{
      {",", ", "},
      {":", " : "},
      {"\"source\"", "\"\\u0073ource\""},
      {"a.md", "a\\/md"},
      {"\\n", "\\u000a"},
      {"\\u0001", "\\u0001\\u00e9"},
      {"\"length\":", "\"length\":0"},
      {"{", "{\"extra\":1,"},
      {"}", ",\"source\":\"b\"}"},
      {"}", ",\"chunk_id\":3}"},
      {"\"length\":5", "\"length\":5.0"},
      {"}", ""}};
  for (int round = 0; round < 1000; ++round) {
    // Absent keys are empty, as parse() leaves them.
    const ChunkMetadata read = ChunkMetadata::parse(random_metadata(rng, texts).to_stored_json());
    ASSERT_EQ(ChunkMetadata::parse(read.to_stored_json()), read) << read.to_stored_json();
    std::string text = read.to_stored_json();
    const auto& [from, to] = any(alterations);
    if (const auto at = text.find(from); at != std::string::npos) text.replace(at, from.size(), to);
    ASSERT_EQ(ChunkMetadata::parse(text), ChunkMetadata::parse(as_nlohmann_writes(text))) << text;
  }
}

}  // namespace
}  // namespace rag::store

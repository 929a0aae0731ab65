// Mapping of the Python design's metadata.json and build_info.json onto this project's chunks.
#include "migrate/python_format.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace rag::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

TEST(PythonFormat, MapsTheDesignsKeysInIndexOrderAndGroupsBySource) {
  const std::string meta = R"([
    {"source": "html/CV.html", "chunk_id": 0, "length": 999, "content_hash": "old",
     "section": "Appointments", "section_level": "h2", "source_file": "html/CV.html",
     "citation_url": "/CV", "page_title": "Curriculum Vit\u00e6", "page_description": "",
     "published": "2024-01-15"},
    {"source": "essays/a.md", "chunk_id": 1, "citation_url": "/essays/a", "page_title": "A",
     "extra": {"k": [1, 2]}},
    {"source": "html/CV.html", "chunk_id": 2, "section": "Teaching", "section_level": "h2",
     "citation_url": "/CV", "page_title": "Curriculum Vit\u00e6"}])";
  const std::vector<std::string> texts = {"caf\u00e9 one", "two", "three"};
  auto docs = map_python_chunks(meta, texts);
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ((*docs)[0].record.path, "html/CV.html");
  EXPECT_THAT((*docs)[0].positions, ElementsAre(0, 2));
  EXPECT_EQ((*docs)[1].record.path, "essays/a.md");
  EXPECT_THAT((*docs)[1].positions, ElementsAre(1));

  const auto& first = (*docs)[0].chunks[0];
  EXPECT_EQ(first.text, "caf\u00e9 one");
  EXPECT_EQ(first.metadata.content_hash, sha256_hex("caf\u00e9 one"));
  auto j = Json::parse(first.metadata.to_stored_json());
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_THAT(keys, ElementsAre("source", "length", "content_hash", "section", "section_level",
                                "source_file", "citation_url", "page_title", "page_description",
                                "published"));
  EXPECT_EQ(j["length"], 8);  // code points, recomputed
  EXPECT_EQ(j["content_hash"], first.metadata.content_hash);
  EXPECT_EQ(j["page_title"], "Curriculum Vit\u00e6");
  EXPECT_EQ(j["published"], "2024-01-15");

  // The stored text as the import has always written it: an index imported before reads the same.
  EXPECT_EQ((*docs)[1].chunks[0].metadata.to_stored_json(),
            R"({"source":"essays/a.md","length":3,"content_hash":")" + sha256_hex("two") +
                R"(","section":"","section_level":"none","source_file":"essays/a.md",)"
                R"("citation_url":"/essays/a","page_title":"A","page_description":"",)"
                R"("extra":{"k":[1,2]}})");
  EXPECT_EQ((*docs)[1].chunks[0].metadata.overlap, store::ChunkMetadata::kUnknownOverlap);
  auto extra = Json::parse((*docs)[1].chunks[0].metadata.to_stored_json());
  EXPECT_FALSE(extra.contains("chunk_id"));
  EXPECT_EQ(extra["extra"]["k"][1], 2);  // other keys kept as they are
  EXPECT_EQ(extra["section_level"], "none");
  EXPECT_EQ(extra["source_file"], "essays/a.md");
}

TEST(PythonFormat, FallsBackToTitleUrlAndTheFileName) {
  auto docs = map_python_chunks(R"([{"source": "docs/guide/setup.md", "title": "Setup",
                                     "url": "https://example.org/setup"},
                                    {"source_file": "notes.txt"}, {}])",
                                {"a", "b", "c"});
  ASSERT_TRUE(docs.has_value()) << docs.error().message;
  ASSERT_EQ(docs->size(), 3u);
  auto a = Json::parse((*docs)[0].chunks[0].metadata.to_stored_json());
  EXPECT_EQ(a["page_title"], "Setup");
  EXPECT_EQ(a["citation_url"], "https://example.org/setup");
  EXPECT_EQ(a["title"], "Setup");  // the original key stays too
  auto b = Json::parse((*docs)[1].chunks[0].metadata.to_stored_json());
  EXPECT_EQ(b["source"], "notes.txt");
  EXPECT_EQ(b["citation_url"], "/notes");
  EXPECT_EQ(b["page_title"], "notes");
  EXPECT_EQ((*docs)[2].record.path, "imported");
}

TEST(PythonFormat, RejectsMismatchedCountsAndBadEntries) {
  auto fewer = map_python_chunks(R"([{"source": "a"}])", {"x", "y"});
  ASSERT_FALSE(fewer.has_value());
  EXPECT_EQ(fewer.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(fewer.error().message, HasSubstr("1 entries but documents.pkl has 2 texts"));
  auto not_object = map_python_chunks(R"([{"source": "a"}, "b"])", {"x", "y"});
  ASSERT_FALSE(not_object.has_value());
  EXPECT_THAT(not_object.error().message, HasSubstr("entry 1 is not an object"));
  EXPECT_EQ(map_python_chunks("{}", {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(map_python_chunks("[{", {}).error().code, ErrorCode::kCorrupt);
}

// A metadata value nested a million levels deep once overflowed the stack when the import
// copied it; it is refused before parsing, and a value nested a little is still carried over.
TEST(PythonFormat, RefusesDeeplyNestedJsonInsteadOfRecursingThroughIt) {
  const std::size_t n = 1000000;
  const std::string deep =
      R"([{"source": "a", "tags": )" + std::string(n, '[') + std::string(n, ']') + "}]";
  auto docs = map_python_chunks(deep, {"x"});
  ASSERT_FALSE(docs.has_value());
  EXPECT_EQ(docs.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(docs.error().message, "metadata.json is nested deeper than 256 levels");
  const std::string info = R"({"x": )" + std::string(n, '{') + std::string(n, '}') + "}";
  EXPECT_EQ(parse_python_build_info(info).error().code, ErrorCode::kCorrupt);
  auto fine = map_python_chunks(R"([{"source": "a", "tags": [[["k"]]]}])", {"x"});
  ASSERT_TRUE(fine.has_value()) << fine.error().message;
  EXPECT_THAT(fine->at(0).chunks.at(0).metadata.to_stored_json(), HasSubstr(R"("tags":[[["k"]]])"));
}

TEST(PythonFormat, ReadsBuildInfo) {
  auto info = parse_python_build_info(R"({"total_documents": 3, "total_chunks": 12,
      "embedding_dimension": 1536, "build_timestamp": "2024-01-15T10:30:45.123456",
      "embedding_model": "text-embedding-ada-002"})");
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->total_chunks, 12u);
  EXPECT_EQ(info->embedding_dimension, 1536);
  EXPECT_EQ(info->embedding_model, "text-embedding-ada-002");
  auto bare = parse_python_build_info("{}");
  ASSERT_TRUE(bare.has_value());
  EXPECT_FALSE(bare->total_chunks.has_value());
  EXPECT_EQ(parse_python_build_info("[1]").error().code, ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace rag::migrate

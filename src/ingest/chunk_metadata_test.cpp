// Chunk metadata: exactly the metadata keys of docs/migration.md, SHA-256, citation_url and source
// path rules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ingest/chunk_metadata.hpp"

namespace rag::ingest {
namespace {

TEST(ChunkMetadata, Sha256IsHexOfTheText) {
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ChunkMetadata, CitationUrlRules) {
  EXPECT_EQ(citation_path("docs", "docs/guide/index.md"), "/guide");
  EXPECT_EQ(citation_path("docs", "docs/config.md"), "/config");
  EXPECT_EQ(citation_path("docs", "docs/index.md"), "/");
  EXPECT_EQ(citation_path("docs/", "docs/a/b.html"), "/a/b");
  EXPECT_EQ(citation_path("html", "html/CV.html"), "/CV");
}

TEST(ChunkMetadata, SourceIsTheRootFolderNameAndPathUnderIt) {
  EXPECT_EQ(source_path("site/html", "site/html/CV.html"), "html/CV.html");
  EXPECT_EQ(source_path("docs/", "docs/guide/index.md"), "docs/guide/index.md");
  EXPECT_EQ(source_path(".", "./a.md"), "a.md");
}

TEST(ChunkMetadata, ExactlyTheSpecKeys) {
  Document doc;
  doc.title = "Curriculum Vit\xC3\xA6";
  SplitChunk chunk{"h\xC3\xA9llo", "Appointments", "h2"};
  ChunkContext ctx{"html/CV.html", "/CV", doc.title, &doc};
  auto j = nlohmann::json::parse(chunk_metadata(chunk, ctx, "abc").to_stored_json());
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"citation_url", "content_hash", "length",
                                            "page_description", "page_title", "section",
                                            "section_level", "source", "source_file"}));
  EXPECT_EQ(j["length"], 5);  // code points
  EXPECT_EQ(j["page_title"], "Curriculum Vit\xC3\xA6");
  doc.published = "2024-01-01";
  j = nlohmann::json::parse(chunk_metadata(chunk, ctx, "abc").to_stored_json());
  EXPECT_EQ(j["published"], "2024-01-01");
}

TEST(ChunkMetadata, CarriesTheSplittersOverlap) {
  Document doc;
  SplitChunk chunk{"shared\n\nnew", "S", "h2", 8};
  ChunkContext ctx{"a.md", "/a", "A", &doc};
  EXPECT_EQ(chunk_metadata(chunk, ctx, "h").overlap, 8);
  EXPECT_EQ(chunk_metadata(chunk, ctx, "h").to_stored_json().find("overlap"), std::string::npos);
}

TEST(ChunkMetadata, PageTitleFallsBackToH1ThenStem) {
  Document doc;
  EXPECT_EQ(page_title(doc, "a/my-page.md"), "my-page");
  doc.blocks.push_back({Block::Kind::kHeading, 1, "Heading One"});
  EXPECT_EQ(page_title(doc, "a/my-page.md"), "Heading One");
}

}  // namespace
}  // namespace rag::ingest

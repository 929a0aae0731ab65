// `rag-server check` (src/cli/check_cmd.cpp) against the in-process fake upstream and a real
// index in a temporary directory: one line per upstream and for the index, the documented exit
// codes, and no key in the output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "config/config.hpp"
#include "fake_upstream.hpp"
#include "store/index_writer.hpp"

namespace rag::cli {
int run_check(const config::Config& config, std::ostream& out);
}

namespace rag {
namespace {

const char* kKey = "check-KEY-abcdef0123456789";

// A one-document index whose vectors have `dimension` (0: lexical only).
class IndexDir {
 public:
  explicit IndexDir(int dimension) {
    path_ = std::filesystem::temp_directory_path() /
            ("rag-check-test-" + std::to_string(::getpid()) + "-" + std::to_string(dimension));
    std::filesystem::remove_all(path_);
    auto writer = store::IndexWriter::open(path_);
    EXPECT_TRUE(writer) << writer.error().message;
    auto& w = **writer;
    EXPECT_TRUE(w.begin_batch());
    EXPECT_TRUE(w.replace_document(
        {"a.md", "sha", 1, 5},
        {{"hello", store::ChunkMetadata::parse(R"({"source":"a.md","content_hash":"h"})")}},
        "emb-check"));
    EXPECT_TRUE(w.commit_batch());
    if (dimension > 0) {
      auto pending = w.chunks_needing_embedding("emb-check");
      EXPECT_TRUE(pending && pending->size() == 1);
      const std::int64_t row = pending->front().row_id;
      const std::vector<std::vector<float>> vectors{std::vector<float>(dimension, 0.5f)};
      EXPECT_TRUE(w.store_embeddings({&row, 1}, vectors, "emb-check"));
    }
    EXPECT_TRUE(w.finish());
  }
  ~IndexDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

config::Config with_index(config::Config c, const IndexDir& index) {
  c.vector_db_path = index.path();
  return c;
}

config::Config azure(const std::string& base) {
  config::Config c;
  c.azure_chat_endpoint = base + "/openai/deployments/gpt-check/chat/completions?api-version=1";
  c.azure_chat_api_key = config::Secret(kKey);
  c.azure_embeddings_endpoint = base + "/openai/deployments/emb-check/embeddings?api-version=1";
  c.azure_embeddings_api_key = config::Secret(kKey);
  c.llm_max_retries = 1;
  c.llm_base_delay = config::Seconds(0.01);
  c.llm_timeout = config::Seconds(5);
  return c;
}

TEST(CheckCommand, ReportsBothUpstreamsAndTheIndexOk) {
  fakes::FakeUpstream fake({});
  IndexDir index(64);
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(with_index(azure(fake.base_url()), index), out), 0);
  EXPECT_NE(out.str().find("config: OK"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("chat: OK (azure:gpt-check"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("embeddings: OK (emb-check, dimension 64"), std::string::npos);
  EXPECT_NE(out.str().find("index: OK (1 documents, 1 chunks, 1 with vectors of dimension 64 "
                           "from emb-check"),
            std::string::npos)
      << out.str();
  EXPECT_EQ(fake.requests().size(), 2u);
}

TEST(CheckCommand, MissingIndexExitsThree) {
  config::Config c;
  c.vector_db_path = "/nonexistent/rag-check-test";
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(c, out), 3);
  EXPECT_NE(out.str().find("index: FAILED ("), std::string::npos) << out.str();
}

TEST(CheckCommand, IndexBuiltWithAnotherDimensionExitsThree) {
  fakes::FakeUpstream fake({});  // answers with dimension 64
  IndexDir index(8);
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(with_index(azure(fake.base_url()), index), out), 3);
  EXPECT_NE(out.str().find("index: FAILED (its vectors have dimension 8 from emb-check, the "
                           "embeddings upstream returns 64"),
            std::string::npos)
      << out.str();
}

TEST(CheckCommand, LexicalIndexWithoutUpstreamsIsOk) {
  IndexDir index(0);
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(with_index(config::Config{}, index), out), 0);
  EXPECT_NE(out.str().find("index: OK (1 documents, 1 chunks, lexical only"), std::string::npos)
      << out.str();
}

TEST(CheckCommand, ChatFailureExitsFourWithoutPrintingTheKey) {
  fakes::FakeUpstream fake({});
  fake.script(R"([{"match":"chat","status":401}])");
  IndexDir index(64);
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(with_index(azure(fake.base_url()), index), out), 4);
  EXPECT_NE(out.str().find("chat: FAILED"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("401"), std::string::npos);
  EXPECT_NE(out.str().find("embeddings: OK"), std::string::npos);
  EXPECT_EQ(out.str().find(kKey), std::string::npos);
}

TEST(CheckCommand, EmbeddingsFailureExitsFiveAndBothSix) {
  fakes::FakeUpstream fake({});
  fake.script(R"([{"match":"embeddings","status":400}])");
  IndexDir index(64);
  std::ostringstream one;
  EXPECT_EQ(cli::run_check(with_index(azure(fake.base_url()), index), one), 5);
  EXPECT_NE(one.str().find("embeddings: FAILED"), std::string::npos);
  std::ostringstream both;
  EXPECT_EQ(cli::run_check(with_index(azure("http://127.0.0.1:1"), index), both), 6);
  EXPECT_NE(both.str().find("unreachable"), std::string::npos) << both.str();
}

TEST(CheckCommand, NotConfiguredIsReportedAndNotAFailure) {
  IndexDir index(0);
  std::ostringstream out;
  EXPECT_EQ(cli::run_check(with_index(config::Config{}, index), out), 0);
  EXPECT_NE(out.str().find("chat: not configured"), std::string::npos);
  EXPECT_NE(out.str().find("embeddings: not configured"), std::string::npos);
}

}  // namespace
}  // namespace rag

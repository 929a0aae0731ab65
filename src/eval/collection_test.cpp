#include "eval/collection.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "eval/corpus_pages.hpp"

namespace rag::eval {
namespace {

namespace fs = std::filesystem;

class CollectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rag-eval-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "qrels");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& rel, const std::string& text) {
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  void write_beir() {
    write("corpus.jsonl",
          "{\"_id\": \"d1\", \"title\": \"Cats \\\"purr\\\"\", \"text\": \"Cats purr.\"}\n"
          "{\"_id\": 7, \"title\": \"\", \"text\": \"Dogs bark.\"}\n");
    write("queries.jsonl",
          "{\"_id\": \"q1\", \"text\": \"do cats purr\"}\n"
          "{\"_id\": \"q2\", \"text\": \"no judgement for me\"}\n"
          "{\"_id\": \"q3\", \"text\": \"only irrelevant judgements\"}\n");
    write("qrels/train.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t7\t2\nq3\td1\t0\n");
  }
  fs::path dir_;
};

TEST_F(CollectionTest, BeirKeepsOnlyQueriesWithARelevantJudgement) {
  write_beir();
  auto c = load_collection(dir_, "");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->queries.size(), 1u);
  EXPECT_EQ(c->queries[0].id, "q1");
  EXPECT_EQ(c->queries[0].text, "do cats purr");
  EXPECT_EQ(c->queries[0].judged, (Judgements{{"d1", 1}, {"7", 2}}));
  EXPECT_EQ(c->corpus, dir_ / "corpus.jsonl");
}

TEST_F(CollectionTest, BeirNamedSplitMustExist) {
  write_beir();
  auto c = load_collection(dir_, "test");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
}

TEST_F(CollectionTest, BadQrelsLineNamesTheFileAndLine) {
  write_beir();
  write("qrels/train.tsv", "query-id\tcorpus-id\tscore\nq1\td1\n");
  auto c = load_collection(dir_, "");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("train.tsv:2"), std::string::npos) << c.error().message;
}

TEST_F(CollectionTest, QrelsScoreThatIsNotAnIntegerNamesTheLine) {
  write_beir();
  for (const char* score : {"2x", "1.5", "99999999999"}) {
    write("qrels/train.tsv",
          std::string("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\t7\t") + score + "\n");
    auto c = load_collection(dir_, "");
    ASSERT_FALSE(c) << score;
    EXPECT_NE(c.error().message.find("train.tsv:3: the score is not an integer"), std::string::npos)
        << c.error().message;
  }
}

TEST_F(CollectionTest, QuestionsFileWithAnswerableAndUnanswerableQuestions) {
  write("q.jsonl",
        "{\"question\": \"How do I set the port?\", \"pages\": [\"/configuration\"]}\n\n"
        "{\"question\": \"Best time to plant tomatoes?\", \"pages\": []}\n");
  auto c = load_collection(dir_ / "q.jsonl", "");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->queries.size(), 2u);
  EXPECT_EQ(c->queries[0].judged, (Judgements{{"/configuration", 1}}));
  EXPECT_EQ(c->queries[1].id, "3");
  EXPECT_TRUE(c->queries[1].judged.empty());
  EXPECT_TRUE(c->corpus.empty());
}

TEST_F(CollectionTest, MalformedQuestionLinesAreErrors) {
  for (const char* bad :
       {"not json", "{\"question\": \"q\"}", "{\"question\": \"\", \"pages\": []}",
        "{\"question\": \"q\", \"pages\": [3]}"}) {
    write("q.jsonl", std::string(bad) + "\n");
    auto c = load_collection(dir_ / "q.jsonl", "");
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(c.error().message.find("q.jsonl:1"), std::string::npos) << c.error().message;
  }
  EXPECT_EQ(load_collection(dir_ / "missing.jsonl", "").error().code, ErrorCode::kNotFound);
}

TEST_F(CollectionTest, CorpusPagesCarryTitleAndIdInFrontMatter) {
  write_beir();
  fs::create_directory(dir_ / "pages");
  auto n = write_corpus_pages(dir_ / "corpus.jsonl", dir_ / "pages");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 2u);
  std::ifstream in(dir_ / "pages" / "0.md");
  std::string page((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(page, "---\ntitle: \"Cats \\\"purr\\\"\"\nurl: \"d1\"\n---\n\nCats purr.\n");
  std::ifstream in2(dir_ / "pages" / "1.md");
  std::string page2((std::istreambuf_iterator<char>(in2)), {});
  EXPECT_NE(page2.find("url: \"7\""), std::string::npos) << page2;
}

TEST_F(CollectionTest, CorpusLineWhoseTextIsNotAStringIsAnErrorNamingTheLine) {
  write("corpus.jsonl",
        "{\"_id\": \"d1\", \"title\": null, \"text\": \"Cats purr.\"}\n"
        "{\"_id\": \"d2\", \"title\": \"Dogs\", \"text\": 42}\n");
  fs::create_directory(dir_ / "pages");
  auto n = write_corpus_pages(dir_ / "corpus.jsonl", dir_ / "pages");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(n.error().message.find("corpus.jsonl:2: \"title\" and \"text\" must be strings"),
            std::string::npos)
      << n.error().message;
}

}  // namespace
}  // namespace rag::eval

#include "retrieval/searcher.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "retrieval/testing/fake_index_reader.hpp"
#include "retrieval/testing/test_corpus.hpp"
#include "upstream/embedder.hpp"

namespace rag::retrieval {
namespace {

namespace asio = boost::asio;

// Returns a fixed vector for every text, or an error; counts calls.
class FakeEmbedder : public upstream::Embedder {
 public:
  std::vector<float> vector{1, 0, 0};
  std::optional<Error> error;
  std::string model = "fake-model";
  int calls = 0;

  asio::awaitable<Result<std::vector<upstream::Vector>>> embed(std::vector<std::string> texts,
                                                               CancelToken cancel) override {
    ++calls;
    if (cancel && cancel->cancelled()) co_return fail(ErrorCode::kCancelled, "cancelled");
    if (error) co_return std::unexpected(*error);
    co_return std::vector<upstream::Vector>(texts.size(), vector);
  }
  std::string model_name() const override { return model; }
};

template <class T>
T run(asio::awaitable<T> awaitable) {
  asio::io_context ctx;
  std::optional<T> out;
  asio::co_spawn(ctx, std::move(awaitable), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out.emplace(std::move(value));
  });
  ctx.run();
  return std::move(*out);
}

class SearcherTest : public ::testing::Test {
 protected:
  void load(bool vectors, std::string model = "fake-model") {
    auto chunks = testing::small_corpus(vectors);
    store::IndexInfo info;
    info.embedding_model = std::move(model);
    live_.replace(*Snapshot::build(std::move(chunks), info, "g1"));
  }
  Result<std::vector<Hit>> search(const Searcher& s, std::string q, int k = 5,
                                  CancelToken cancel = nullptr) {
    return run(s.search(std::move(q), k, std::move(cancel)));
  }

  LiveIndex live_{testing::fake_opener(std::make_shared<testing::FakeIndexState>()), {}};
  std::shared_ptr<FakeEmbedder> embedder_ = std::make_shared<FakeEmbedder>();
  std::shared_ptr<EmbeddingCache> cache_ = std::make_shared<EmbeddingCache>(8);
};

TEST_F(SearcherTest, UnavailableBeforeTheIndexIsLoaded) {
  Searcher searcher(live_, nullptr, nullptr);
  auto hits = search(searcher, "port");
  ASSERT_FALSE(hits.has_value());
  EXPECT_EQ(hits.error().code, ErrorCode::kUnavailable);
}

TEST_F(SearcherTest, LexicalWithoutAnEmbedder) {
  load(true);
  Searcher searcher(live_, nullptr, cache_.get());
  auto hits = search(searcher, "sessions expire inactivity");
  ASSERT_TRUE(hits.has_value());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().chunk_id, 1);
}

TEST_F(SearcherTest, HybridEmbedsTheQueryOnceThenUsesTheCache) {
  load(true);
  Searcher searcher(live_, embedder_.get(), cache_.get());
  auto first = search(searcher, "anything at all");
  ASSERT_TRUE(first.has_value());
  ASSERT_FALSE(first->empty());
  EXPECT_EQ(first->front().chunk_id, 0);  // the vector {1,0,0}
  EXPECT_NEAR(first->front().score, 1.0, 1e-6);
  auto second = search(searcher, "anything at all");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(embedder_->calls, 1);
  EXPECT_EQ(cache_->hits(), 1u);
}

TEST_F(SearcherTest, BlankQueryOrBadKFindsNothingWithoutCallingUpstream) {
  load(true);
  Searcher searcher(live_, embedder_.get(), cache_.get());
  EXPECT_TRUE(search(searcher, "")->empty());
  EXPECT_TRUE(search(searcher, " \t\n\xC2\xA0\xE3\x80\x80")->empty());
  EXPECT_TRUE(search(searcher, "port", 0)->empty());
  EXPECT_EQ(embedder_->calls, 0);
}

TEST_F(SearcherTest, FallsBackToLexicalWhenTheEmbedderFails) {
  load(true);
  embedder_->error = Error{ErrorCode::kUpstream, "Upstream model error", 0};
  Searcher searcher(live_, embedder_.get(), cache_.get());
  auto hits = search(searcher, "sessions expire inactivity");
  ASSERT_TRUE(hits.has_value());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().chunk_id, 1);
  EXPECT_EQ(cache_->size(), 0u);  // failures are not cached
}

TEST_F(SearcherTest, FallsBackToLexicalOnAnotherModelOrDimension) {
  load(true, "other-model");
  Searcher searcher(live_, embedder_.get(), cache_.get());
  EXPECT_FALSE(search(searcher, "sessions expire inactivity")->empty());
  EXPECT_EQ(embedder_->calls, 0);

  load(true);
  embedder_->vector = {1, 0};
  EXPECT_FALSE(search(searcher, "sessions expire inactivity")->empty());
  EXPECT_EQ(embedder_->calls, 1);
}

TEST_F(SearcherTest, CancelledWhileEmbedding) {
  load(true);
  Searcher searcher(live_, embedder_.get(), cache_.get());
  auto cancel = make_cancel_token();
  cancel->cancel();
  auto hits = search(searcher, "port", 5, cancel);
  ASSERT_FALSE(hits.has_value());
  EXPECT_EQ(hits.error().code, ErrorCode::kCancelled);
}

TEST_F(SearcherTest, SynchronousLexicalEntryPoint) {
  load(true);
  Searcher searcher(live_, embedder_.get(), cache_.get());
  auto hits = searcher.search_lexical("rate limits per client", 3);
  ASSERT_TRUE(hits.has_value());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().chunk_id, 2);
  EXPECT_EQ(embedder_->calls, 0);
}

TEST(IsBlank, PythonWhitespace) {
  EXPECT_TRUE(is_blank(""));
  EXPECT_TRUE(is_blank(" \t\r\n\v\f"));
  EXPECT_TRUE(is_blank("\xE2\x80\x83\xE2\x80\xA8\xEF\xBB\xBF") == false);  // U+FEFF is not
  EXPECT_TRUE(is_blank("\xE2\x80\x83\xE2\x80\xA8"));
  EXPECT_FALSE(is_blank(" a "));
}

}  // namespace
}  // namespace rag::retrieval

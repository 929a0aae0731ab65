// Embeddings adapter against the in-process fake: batching, halving on "too many inputs" /
// 413, re-ordering by `index`, and TLS verification (self-signed refused, wrong name refused,
// trusted CA accepted).
#include <gtest/gtest.h>

#include "upstream/testing/fake_upstream_config.hpp"

#ifndef RAG_FAKE_CERT_DIR
#error "RAG_FAKE_CERT_DIR must point at tests/fakes/certs"
#endif

namespace rag::upstream {
namespace {

using namespace std::chrono_literals;
using rag::testing::LogCapture;
using rag::testing::IoThreads;
using fakes::FakeUpstream;

std::vector<std::string> texts(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("passage number " + std::to_string(i) + " about cats");
  return out;
}

int inputs_in(const std::string& body) {
  int n = 0;
  for (auto at = body.find("passage number"); at != std::string::npos;
       at = body.find("passage number", at + 1))
    ++n;
  return n;
}

class EmbedAdapterTest : public ::testing::Test {
 protected:
  EmbedAdapterTest() : fake_(FakeUpstream::Options{}) {}
  void TearDown() override {
    EXPECT_EQ(log_.text().find(testing::kAzureKey), std::string::npos);
  }
  std::unique_ptr<Embedder> azure(int batch) {
    auto options = testing::fast_options();
    options.embed_batch_size = batch;
    return make_embedder(testing::azure_config(fake_.base_url()), io_.executor(), options);
  }
  Result<std::vector<Vector>> embed(Embedder& e, std::vector<std::string> t) {
    return io_.run(e.embed(std::move(t), {}));
  }
  void expect_vectors(const std::vector<Vector>& got, const std::vector<std::string>& t, int dim) {
    ASSERT_EQ(got.size(), t.size());
    for (std::size_t i = 0; i < t.size(); ++i) EXPECT_EQ(got[i], fakes::fake_embedding(t[i], dim)) << i;
  }

  LogCapture log_;
  FakeUpstream fake_;
  IoThreads io_;
};

TEST_F(EmbedAdapterTest, SplitsIntoBatchesAndKeepsInputOrder) {
  auto embedder = azure(4);
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(embedder->model_name(), "embed-test");
  auto t = texts(10);
  auto vectors = embed(*embedder, t);
  ASSERT_TRUE(vectors) << vectors.error().message;
  expect_vectors(*vectors, t, 64);  // the fake lists data in reverse: order comes from `index`
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/openai/deployments/embed-test/embeddings?api-version=2024-02-01");
  EXPECT_EQ(inputs_in(requests[0].body), 4);
  EXPECT_EQ(inputs_in(requests[1].body), 4);
  EXPECT_EQ(inputs_in(requests[2].body), 2);
}

TEST_F(EmbedAdapterTest, HalvesTheBatchOnTooManyInputs) {
  fake_.configure(R"({"max_inputs":3})");
  auto embedder = azure(8);
  auto t = texts(10);
  auto vectors = embed(*embedder, t);
  ASSERT_TRUE(vectors) << vectors.error().message;
  expect_vectors(*vectors, t, 64);
  auto requests = fake_.requests();
  std::vector<int> sizes;
  for (const auto& r : requests) sizes.push_back(inputs_in(r.body));
  EXPECT_EQ(sizes, (std::vector<int>{8, 4, 2, 2, 2, 2, 2}));
}

TEST_F(EmbedAdapterTest, HalvesTheBatchOn413) {
  fake_.script(R"([413])");
  auto embedder = azure(4);
  auto t = texts(4);
  auto vectors = embed(*embedder, t);
  ASSERT_TRUE(vectors) << vectors.error().message;
  std::vector<int> sizes;
  for (const auto& r : fake_.requests()) sizes.push_back(inputs_in(r.body));
  EXPECT_EQ(sizes, (std::vector<int>{4, 2, 2}));
}

TEST_F(EmbedAdapterTest, OpenAiSendsModelAndBearer) {
  auto options = testing::fast_options();
  auto embedder = make_embedder(testing::openai_config(fake_.base_url()), io_.executor(), options);
  ASSERT_NE(embedder, nullptr);
  EXPECT_EQ(embedder->model_name(), "embed-fake");
  auto vectors = embed(*embedder, {"hello world"});
  ASSERT_TRUE(vectors) << vectors.error().message;
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/embeddings");
  EXPECT_NE(requests[0].body.find("\"model\":\"embed-fake\""), std::string::npos);
  EXPECT_EQ(requests[0].header("authorization"), std::string("Bearer ") + testing::kOpenAiKey);
}

TEST_F(EmbedAdapterTest, ServerErrorsAreRetriedForEmbeddingsToo) {
  fake_.script(R"([503])");
  auto embedder = azure(16);
  ASSERT_TRUE(embed(*embedder, texts(2)));
  EXPECT_EQ(fake_.requests().size(), 2u);
  EXPECT_EQ(embedder->stats()->snapshot().retries, 1u);
}

TEST_F(EmbedAdapterTest, SimilarTextsAreNearInTheFake) {
  auto a = fakes::fake_embedding("the refund policy for courses", 256);
  auto b = fakes::fake_embedding("what is the refund policy", 256);
  auto c = fakes::fake_embedding("install the compiler on linux", 256);
  auto dot = [](const Vector& x, const Vector& y) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
    return s;
  };
  EXPECT_GT(dot(a, b), dot(a, c));
  EXPECT_NEAR(dot(a, a), 1.0, 1e-5);
}

class TlsTest : public ::testing::Test {
 protected:
  static FakeUpstream::Options tls(const std::string& name) {
    FakeUpstream::Options o;
    o.tls_cert_file = std::string(RAG_FAKE_CERT_DIR) + "/" + name + ".crt";
    o.tls_key_file = std::string(RAG_FAKE_CERT_DIR) + "/" + name + ".key";
    return o;
  }
  Result<ChatAnswer> call(FakeUpstream& fake, const std::string& trust) {
    auto options = testing::fast_options();
    if (!trust.empty()) options.http.extra_ca_file = std::string(RAG_FAKE_CERT_DIR) + "/" + trust;
    auto model = make_chat_model(testing::openai_config(fake.base_url()), io_.executor(), options);
    ChatRequest request{{{"user", "hello over tls"}}, 0.1, 10};
    return io_.run(model->complete(request, {}));
  }
  LogCapture log_;
  IoThreads io_;
};

TEST_F(TlsTest, SelfSignedCertificateIsRefused) {
  FakeUpstream fake(tls("localhost"));
  ASSERT_TRUE(fake.base_url().starts_with("https://"));
  auto answer = call(fake, "");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(answer.error().message.find("TLS"), std::string::npos) << answer.error().message;
  EXPECT_TRUE(fake.requests().empty());
  EXPECT_EQ(answer.error().message.find(testing::kOpenAiKey), std::string::npos);
}

TEST_F(TlsTest, TrustedCertificateForTheHostIsAccepted) {
  FakeUpstream fake(tls("localhost"));
  auto answer = call(fake, "localhost.crt");
  ASSERT_TRUE(answer) << answer.error().message;
  EXPECT_EQ(fake.requests().size(), 1u);
}

TEST_F(TlsTest, ExtraCaFileThatCannotBeLoadedIsLoggedAndFailsEveryHttpsCall) {
  FakeUpstream fake(tls("localhost"));
  auto answer = call(fake, "no-such-ca.crt");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(answer.error().message.find("no-such-ca.crt"), std::string::npos)
      << answer.error().message;
  EXPECT_TRUE(fake.requests().empty());
  const std::string log = log_.text();
  EXPECT_NE(log.find("cannot load the CA file"), std::string::npos) << log;
  EXPECT_NE(log.find("no-such-ca.crt"), std::string::npos) << log;
}

TEST_F(TlsTest, TrustedCertificateForAnotherNameIsRefused) {
  FakeUpstream fake(tls("wrong-name"));
  auto answer = call(fake, "wrong-name.crt");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(fake.requests().empty());
}

}  // namespace
}  // namespace rag::upstream

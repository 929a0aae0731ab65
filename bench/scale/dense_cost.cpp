// rag-dense-cost LEXICAL_IDX QUERIES_JSONL|passages:N [KIND=ivf] [PROBES=8,16,32,64]
//               [VECTORS=hashed] [DIMENSION=1536]:
// the dense index at scale, without HTTP: embeds every chunk of a lexical.idx that `rag-server
// index` wrote, and each query of a BEIR queries.jsonl ("text"), finds each query's exact top
// 10 by brute force, builds the index of KIND (ivf or hnsw) as `rag-server index` does (every
// core), saves and reloads it, and prints per PROBES value: recall@10 against the exact top 10,
// and the per-query p50 and p99 on one thread, as the server searches. Also the build time, the
// file's size and its load time.
//
// VECTORS: `hashed` are the fake upstream's feature-hashed embeddings (tests/fakes: what the
// scale benchmark's server gets): a bag of words, so two texts are near only when they share
// words, and the vectors have no topical structure, unlike a model's. `topics=CORPUS_JSONL` is
// a stand-in for that structure (random indexing: each document of the BEIR corpus.jsonl the
// passages were drawn from gets a random direction, a word the sum of the directions of the
// documents it occurs in, a text the idf-weighted sum of its words), so that texts on the same
// subject are near without sharing a word. `glove=FILE` are pretrained word vectors in GloVe's
// text format (a word, then its numbers, per line; bench/scale/README.md says where to get
// them): a text is the idf-weighted sum of its words' vectors, normalised, taken into DIMENSION
// by a fixed random isometry when the file has fewer, so similarities are the sum's own. None of
// them is an embedding model; see bench/scale/README.md.
//
// QUERIES_JSONL may instead be `passages:N`: N chunks drawn at random (seeded), each asked
// about by a run of 12 of its own words, for a corpus that has no questions of its own.
#include <faiss/Index.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_inputs.hpp"
#include "fake_upstream.hpp"
#include "retrieval/vector_index.hpp"

namespace retrieval = rag::retrieval;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

// words(text), each once (sorted): what a document frequency counts.
std::vector<std::string> distinct_words(std::string_view text) {
  auto terms = words(text);
  std::ranges::sort(terms);
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

// Random indexing over the documents of a BEIR corpus.jsonl (see the top of this file).
class TopicEmbedding {
 public:
  TopicEmbedding(const std::string& corpus, int dimension) : dimension_(dimension) {
    std::ifstream in(corpus);
    std::mt19937 random(11);
    std::normal_distribution<float> normal;
    std::vector<float> direction(static_cast<std::size_t>(dimension));
    std::size_t documents = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const auto doc = nlohmann::json::parse(line);
      for (auto& x : direction) x = normal(random);
      for (const auto& t : distinct_words(doc.value("title", "") + " " + doc.value("text", ""))) {
        auto [it, added] = words_.try_emplace(t);
        if (added) it->second.vector.assign(static_cast<std::size_t>(dimension), 0.0f);
        ++it->second.documents;
        for (int i = 0; i < dimension; ++i) it->second.vector[i] += direction[i];
      }
      ++documents;
    }
    for (auto& [word, w] : words_) {
      w.idf = static_cast<float>(std::log(static_cast<double>(documents) / w.documents));
      const float scale = w.idf / std::sqrt(static_cast<float>(w.documents));
      for (auto& x : w.vector) x *= scale;
    }
  }

  std::vector<float> operator()(std::string_view text) const {
    std::vector<float> v(static_cast<std::size_t>(dimension_), 0.0f);
    for (const auto& t : words(text)) {
      const auto it = words_.find(t);
      if (it == words_.end()) continue;
      for (int i = 0; i < dimension_; ++i) v[i] += it->second.vector[i];
    }
    retrieval::VectorIndex::normalise(v.data(), dimension_);
    return v;
  }

 private:
  struct Word {
    std::vector<float> vector;
    std::size_t documents = 0;
    float idf = 0;
  };
  int dimension_;
  std::unordered_map<std::string, Word> words_;
};

// Pretrained word vectors (GloVe's text format), each weighted by its word's idf among the
// chunks embedded; a text is the sum of its words', normalised (see the top of this file).
class WordVectorEmbedding {
 public:
  WordVectorEmbedding(const std::string& file, int dimension, const retrieval::LexicalIndex& chunks)
      : dimension_(dimension) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      std::string word;
      fields >> word;
      std::vector<float> v;
      for (float x; fields >> x;) v.push_back(x);
      if (width_ == 0) width_ = static_cast<int>(v.size());
      if (static_cast<int>(v.size()) == width_) vectors_.emplace(std::move(word), std::move(v));
    }
    if (vectors_.empty()) throw std::runtime_error("no word vectors in " + file);
    if (width_ > dimension_) throw std::runtime_error("the word vectors are wider than DIMENSION");
    if (width_ < dimension_) isometry_ = isometry(width_, dimension_);
    std::unordered_map<std::string, std::size_t> documents;
    for (std::uint32_t doc = 0; doc < chunks.size(); ++doc) {
      for (auto& t : distinct_words(chunks.chunk(doc).text())) ++documents[std::move(t)];
    }
    for (auto& [word, v] : vectors_) {
      const auto seen = documents.find(word);
      const double df = seen == documents.end() ? 1.0 : static_cast<double>(seen->second);
      const auto idf = static_cast<float>(std::log(1.0 + static_cast<double>(chunks.size()) / df));
      for (auto& x : v) x *= idf;
    }
  }

  std::vector<float> operator()(std::string_view text) const {
    std::vector<float> sum(static_cast<std::size_t>(width_), 0.0f);
    for (const auto& t : words(text)) {
      const auto it = vectors_.find(t);
      if (it == vectors_.end()) continue;
      for (int i = 0; i < width_; ++i) sum[i] += it->second[i];
    }
    std::vector<float> v = isometry_.empty() ? sum : std::vector<float>(dimension_, 0.0f);
    for (int j = 0; !isometry_.empty() && j < width_; ++j) {
      for (int i = 0; i < dimension_; ++i) v[i] += sum[j] * isometry_[j * dimension_ + i];
    }
    retrieval::VectorIndex::normalise(v.data(), dimension_);
    return v;
  }

 private:
  // `from` orthonormal rows of `to` numbers (Gram-Schmidt over Gaussian rows, seeded): a map
  // into the wider space that keeps every inner product.
  static std::vector<float> isometry(int from, int to) {
    std::mt19937 random(7);
    std::normal_distribution<double> normal;
    std::vector<std::vector<double>> rows(static_cast<std::size_t>(from));
    for (auto& r : rows) {
      r.resize(static_cast<std::size_t>(to));
      for (auto& x : r) x = normal(random);
      for (const auto* previous = rows.data(); previous != &r; ++previous) {
        double dot = 0;
        for (int i = 0; i < to; ++i) dot += r[i] * (*previous)[i];
        for (int i = 0; i < to; ++i) r[i] -= dot * (*previous)[i];
      }
      double norm = 0;
      for (const double x : r) norm += x * x;
      for (auto& x : r) x /= std::sqrt(norm);
    }
    std::vector<float> out;
    for (const auto& r : rows) out.insert(out.end(), r.begin(), r.end());
    return out;
  }

  int dimension_;
  int width_ = 0;
  std::unordered_map<std::string, std::vector<float>> vectors_;  // idf-weighted
  std::vector<float> isometry_;  // width x dimension, row by row; empty when they are equal
};

// `passages:N` (see the top of this file): a run of 12 words from each of N random chunks.
std::vector<std::string> passage_queries(const retrieval::LexicalIndex& chunks, std::size_t n) {
  std::mt19937 random(5);
  std::vector<std::string> out;
  while (out.size() < n) {
    const auto doc = static_cast<std::uint32_t>(random() % chunks.size());
    const auto terms = words(chunks.chunk(doc).text());
    constexpr std::size_t kRun = 12;
    if (terms.size() < kRun) continue;
    const std::size_t from = random() % (terms.size() - kRun + 1);
    std::string query;
    for (std::size_t i = from; i < from + kRun; ++i) query += (query.empty() ? "" : " ") + terms[i];
    out.push_back(std::move(query));
  }
  return out;
}

std::vector<std::size_t> numbers(const std::string& list) {
  std::vector<std::size_t> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoul(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: rag-dense-cost LEXICAL_IDX QUERIES_JSONL|passages:N [ivf|hnsw] [PROBES] "
                 "[VECTORS] [DIM]\n");
    return 2;
  }
  const std::string kind = argc > 3 ? argv[3] : "ivf";
  const auto probes = numbers(argc > 4 ? argv[4] : "8,16,32,64");
  const std::string vectors = argc > 5 ? argv[5] : "hashed";
  const int dim = argc > 6 ? std::stoi(argv[6]) : 1536;
  const std::string file = argv[1];
  const auto index = rag::bench::open_lexical_index(file);
  if (!index) return 1;
  const std::size_t n = index->size();
  std::function<std::vector<float>(std::string_view)> embed = [dim](std::string_view text) {
    return rag::fakes::fake_embedding(std::string(text), dim);
  };
  if (vectors.starts_with("topics=")) {
    embed = [topics = std::make_shared<TopicEmbedding>(vectors.substr(7), dim)](
                std::string_view text) { return (*topics)(text); };
  } else if (vectors.starts_with("glove=")) {
    embed = [glove = std::make_shared<WordVectorEmbedding>(vectors.substr(6), dim, *index)](
                std::string_view text) { return (*glove)(text); };
  } else if (vectors != "hashed") {
    std::fprintf(stderr, "VECTORS: hashed, topics=CORPUS_JSONL or glove=WORD_VECTORS\n");
    return 2;
  }
  auto start = Clock::now();
  std::vector<float> data(n * static_cast<std::size_t>(dim));
  for (std::uint32_t doc = 0; doc < n; ++doc) {
    const auto v = embed(index->chunk(doc).text());
    std::ranges::copy(v, data.begin() + static_cast<std::ptrdiff_t>(doc) * dim);
  }
  std::printf("embedded %zu chunks x %d in %.1f s\n", n, dim, seconds_since(start));
  std::vector<std::string> texts;
  if (const std::string_view source = argv[2]; source.starts_with("passages:")) {
    texts = passage_queries(*index, std::stoul(std::string(source.substr(9))));
  } else {
    texts = rag::bench::query_texts(argv[2]);
  }
  std::vector<float> queries;
  for (const auto& text : texts) {
    const auto v = embed(text);
    queries.insert(queries.end(), v.begin(), v.end());
  }
  const std::size_t nq = queries.size() / static_cast<std::size_t>(dim);

  constexpr std::size_t kTop = 10;
  start = Clock::now();
  std::vector<float> exact_scores(nq * kTop);
  std::vector<faiss::Index::idx_t> exact_ids(nq * kTop);
  faiss::float_minheap_array_t heaps{nq, kTop, exact_ids.data(), exact_scores.data()};
  faiss::knn_inner_product(queries.data(), data.data(), static_cast<std::size_t>(dim), nq, n,
                           &heaps);
  std::printf("exact top %zu of %zu queries in %.1f s\n", kTop, nq, seconds_since(start));

  retrieval::VectorIndexOptions options;
  options.kind =
      kind == "hnsw" ? retrieval::VectorIndexKind::kHnsw : retrieval::VectorIndexKind::kIvf;
  options.build_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  start = Clock::now();
  auto built = retrieval::VectorIndex::build(std::move(data), n, dim, options);
  if (!built) {
    std::fprintf(stderr, "%s\n", built.error().message.c_str());
    return 1;
  }
  std::printf("built %s over %zu vectors in %.1f s\n",
              std::string(retrieval::kind_name((*built)->kind())).c_str(), n, seconds_since(start));
  const std::string saved = file + ".dense-cost";
  if (auto ok = (*built)->save(saved, "dense-cost"); !ok) {
    std::fprintf(stderr, "%s\n", ok.error().message.c_str());
    return 1;
  }
  built->reset();
  std::printf("file %.1f MB\n", static_cast<double>(std::filesystem::file_size(saved)) / 1e6);

  for (const std::size_t p : probes) {
    options.ivf_probes = p;
    options.hnsw_ef_search = static_cast<int>(p);
    start = Clock::now();
    auto loaded = retrieval::VectorIndex::load(saved, "dense-cost", dim, options);
    if (!loaded) {
      std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
      return 1;
    }
    const double load_s = seconds_since(start);
    std::vector<double> ms;
    std::size_t found = 0, found_or_tied = 0;
    for (std::size_t q = 0; q < nq; ++q) {
      const std::vector<float> query(queries.begin() + static_cast<std::ptrdiff_t>(q * dim),
                                     queries.begin() + static_cast<std::ptrdiff_t>((q + 1) * dim));
      const auto t = Clock::now();
      auto hits = loaded->index->search(query, 15);  // the server asks 3 x k = 15
      ms.push_back(seconds_since(t) * 1000);
      const std::set<faiss::Index::idx_t> truth(
          exact_ids.begin() + static_cast<std::ptrdiff_t>(q * kTop),
          exact_ids.begin() + static_cast<std::ptrdiff_t>((q + 1) * kTop));
      // Tied: a hit whose exact similarity equals the 10th best's (feature-hashed vectors of
      // texts sharing the same words tie often; any of the tied chunks is a right answer).
      const float tenth = exact_scores[q * kTop + kTop - 1];
      for (std::size_t i = 0; hits && i < std::min(kTop, hits->size()); ++i) {
        const auto id = (*hits)[i].id;
        const bool exact = truth.count(id) > 0;
        found += exact;
        if (!exact) {
          const auto v = embed(index->chunk(static_cast<std::uint32_t>(id)).text());
          double dot = 0;
          for (int j = 0; j < dim; ++j) dot += double(v[j]) * query[j];
          found_or_tied += dot >= tenth - 1e-5;
        } else {
          ++found_or_tied;
        }
      }
    }
    std::ranges::sort(ms);
    std::printf(
        "%s %s=%zu: recall@10 %.4f (ties counted: %.4f) | p50 %.2f ms, p99 %.2f ms (one thread, "
        "%zu "
        "queries) | load %.2f s\n",
        kind.c_str(), kind == "hnsw" ? "efSearch" : "probes", p,
        static_cast<double>(found) / static_cast<double>(kTop * nq),
        static_cast<double>(found_or_tied) / static_cast<double>(kTop * nq), ms[ms.size() / 2],
        ms[static_cast<std::size_t>(0.99 * static_cast<double>(ms.size() - 1))], nq, load_s);
  }
  std::filesystem::remove(saved);
  return 0;
}

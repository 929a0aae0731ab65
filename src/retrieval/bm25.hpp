// BM25F (Robertson, Zaragoza & Taylor's "simple BM25 extension to multiple weighted fields")
// over an in-memory inverted index of already-tokenized documents, each with three fields:
// the body (a chunk's text), its page title and its section heading (retrieval/README.md).
//
// Scoring, per unique query term t present in document d:
//   tf~(t,d) = Σ_f weight_f · tf_f(t,d) / (1 − b_f + b_f · len_f(d) / avglen_f)
//   idf(t)   = ln(1 + (N − n_t + 0.5) / (n_t + 0.5))     (Lucene's form: never negative; n_t
//              counts the documents holding t in any field, N all documents)
//   score    = Σ_t idf(t) · (k1 + 1) · tf~ / (k1 + tf~)
// With one field of weight 1 this is textbook BM25. The parameters are Bm25Params' defaults,
// tuned on public data (retrieval/README.md says how). tf~ is computed once per posting when the
// index is built, so a search costs what plain BM25 costs.
//
// Invariants: postings of a term are sorted by document and hold each document once, with
// tf~ > 0; doc ids are 0..size()-1 in the order documents were given.
// Thread-safety: immutable after construction; every const method may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace rag::retrieval {

enum class Field : std::uint8_t { kBody = 0, kTitle = 1, kSection = 2 };
inline constexpr std::size_t kFieldCount = 3;

struct FieldParams {
  double weight = 1.0;
  double b = 0.75;  // length normalisation, 0 (none) to 1 (full)
};

struct Bm25Params {
  double k1 = 1.2;
  // Body, title, section.
  std::array<FieldParams, kFieldCount> fields{{{1.0, 0.75}, {3.0, 0.5}, {2.0, 0.5}}};
};

// One document's terms (tokenize() output) per field.
struct FieldTerms {
  std::vector<std::string> body;
  std::vector<std::string> title;
  std::vector<std::string> section;
};

struct ScoredDoc {
  std::uint32_t doc = 0;
  double score = 0;
};

class Bm25Index {
 public:
  // Adds documents one at a time (so a large corpus need not be held as terms), then build().
  class Builder {
   public:
    explicit Builder(Bm25Params params = {});
    ~Builder();
    void add(const FieldTerms& doc);  // the next doc id
    Bm25Index build() &&;

   private:
    struct RawPosting {
      std::uint32_t doc;
      std::array<std::uint32_t, kFieldCount> tf;
    };
    void add_field(const std::vector<std::string>& terms, Field field, std::uint32_t doc);

    std::unique_ptr<Bm25Index> index_;
    std::vector<std::vector<RawPosting>> raw_;                     // by term id
    std::vector<std::array<std::uint32_t, kFieldCount>> lengths_;  // by doc
  };

  explicit Bm25Index(const std::vector<FieldTerms>& documents, Bm25Params params = {});
  // Documents that are a body only (tests, benchmarks).
  explicit Bm25Index(const std::vector<std::vector<std::string>>& bodies, Bm25Params params = {});
  Bm25Index(Bm25Index&&) noexcept = default;
  Bm25Index& operator=(Bm25Index&&) noexcept = default;

  // The best `limit` documents with a positive score for the query terms, best first (ties:
  // lower doc id first). A term repeated in the query counts once. O(query terms + postings
  // of its known terms + documents).
  std::vector<ScoredDoc> search(const std::vector<std::string>& query_terms,
                                std::size_t limit) const;

  // A score for these query terms as a share of the score of a document of average length
  // holding each of them once in its body: score / Σ idf(t) over the unique terms, where an
  // unknown term counts with its idf at n_t = 0. Clamped to [0, 1]. The relevance rule that
  // uses it is in retrieval/README.md.
  double relevance(double score, const std::vector<std::string>& query_terms) const;

  // idf(t); a term no document holds gets the formula's value at n_t = 0.
  double idf(const std::string& term) const;
  std::size_t size() const { return doc_count_; }
  double average_length(Field field) const { return average_[static_cast<std::size_t>(field)]; }

 private:
  struct Posting {
    std::uint32_t doc;
    float tf;  // tf~ of the term in the document
  };
  Bm25Index() = default;
  double idf_for_count(std::size_t n) const;

  Bm25Params params_;
  std::unordered_map<std::string, std::uint32_t> vocabulary_;
  std::vector<std::vector<Posting>> postings_;  // by term id
  std::size_t doc_count_ = 0;
  std::array<double, kFieldCount> average_{};
};

}  // namespace rag::retrieval

// BM25 (Okapi) over an in-memory inverted index of already-tokenized documents.
//
// Scoring, per query term t present in document d:
//   idf(t)   = ln(1 + (N - n_t + 0.5) / (n_t + 0.5))          (Lucene's form: never negative)
//   score_t  = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))
// with k1 = 1.2 and b = 0.75 (the Robertson/Lucene defaults; our chunks are of similar size,
// ~3 paragraphs, so the usual length normalisation suits them). A term repeated in the query
// counts once. `scaled()` maps a score into [0, 1]; see its comment.
//
// Invariants: postings of a term are sorted by document and hold each document once; doc ids
// are 0..size()-1 in the order documents were given.
// Thread-safety: immutable after construction; search() may run concurrently from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace rag::retrieval {

struct Bm25Params {
  double k1 = 1.2;
  double b = 0.75;
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
    void add(const std::vector<std::string>& terms);  // the next doc id
    Bm25Index build() &&;

   private:
    std::unique_ptr<Bm25Index> index_;
    std::uint64_t total_terms_ = 0;
  };

  // Each document is its list of terms (tokenize() output).
  explicit Bm25Index(const std::vector<std::vector<std::string>>& documents,
                     Bm25Params params = {});
  Bm25Index(Bm25Index&&) noexcept = default;
  Bm25Index& operator=(Bm25Index&&) noexcept = default;

  // The best `limit` documents with a positive score for the query terms, best first
  // (ties: lower doc id first).
  std::vector<ScoredDoc> search(const std::vector<std::string>& query_terms,
                                std::size_t limit) const;

  // Maps a raw score for these query terms into [0, 1]: score / sum over the unique query
  // terms of idf(t) * (k1 + 1), the score's upper bound (tf → ∞). Terms absent from the corpus
  // count with the idf they would have if one document held them, so an unknown word in the
  // query lowers every score (a document that does not contain it does not answer the query).
  // Why this scaling: it depends only on the query and corpus statistics, not on the other
  // results, so a fixed floor is meaningful. A document of average length containing every
  // query term once scores 1/(k1+1) = 0.45; twice, 0.63; one holding only half of the query's
  // idf weight once scores ≈ 0.23. So SEARCH_MIN_SCORE = 0.3 keeps documents that match the
  // query and drops ones that match a minor part of it.
  double scaled(double score, const std::vector<std::string>& query_terms) const;

  double idf(const std::string& term) const;
  std::size_t size() const { return doc_lengths_.size(); }
  double average_length() const { return avgdl_; }

 private:
  struct Posting {
    std::uint32_t doc;
    std::uint32_t tf;
  };
  Bm25Index() = default;
  double idf_for_count(std::size_t n) const;
  std::vector<std::uint32_t> unique_term_ids(const std::vector<std::string>& terms) const;

  Bm25Params params_;
  std::unordered_map<std::string, std::uint32_t> vocabulary_;
  std::vector<std::vector<Posting>> postings_;  // by term id
  std::vector<std::uint32_t> doc_lengths_;
  std::vector<double> length_norm_;  // k1 * (1 - b + b * |d| / avgdl), per document
  double avgdl_ = 0;
};

}  // namespace rag::retrieval

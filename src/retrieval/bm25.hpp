// BM25F (Robertson, Zaragoza & Taylor's "simple BM25 extension to multiple weighted fields")
// over an inverted index of already-tokenized documents, each with three fields: the body (a
// chunk's text), its page title and its section heading (retrieval/README.md).
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
// Storage: four flat arrays (Bm25Parts): the vocabulary sorted by term bytes, each term's
// postings range and largest tf~, and every posting. A built index owns them; an index loaded
// from the lexical index file (lexical_file.hpp) views the file's memory map, so loading costs
// no parsing. Top-k search (bm25_search.cpp) is MaxScore (Turtle & Flood) with block-max
// bounds, taking documents in windows as Lucene's MaxScore bulk scorer does: once the k-th best
// score so far exceeds what the weakest terms could add together, documents holding only those
// are never considered; the others' postings are summed term at a time per window (with the
// strongest weak term's, into the documents they hold, when its postings there are few next to
// theirs), and only the documents whose sum the weak terms' blocks could still lift past the
// k-th are probed further.
// The results are exactly those of scoring every matching document (same scores, bit for bit,
// same order). Block-max WAND was measured too and was 2x slower on natural-language queries of
// ~9 terms (bench/scale/README.md).
//
// Invariants of a built index: postings of a term are sorted by document and hold each document
// once, with tf~ > 0; doc ids are 0..size()-1 in the order documents were given. An index over
// file memory is checked for its structure when viewed (Bm25Index::view); postings it does not
// check (order, doc ids) cannot make a search read out of bounds, only rank oddly.
// Thread-safety: immutable after construction; every const method may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"

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

// A search of this index as one segment of a larger index (LexicalIndex over a base and the
// changes since, lexical_index.hpp): what the whole says of each query term, and where each of
// this index's documents lies in the whole.
inline constexpr std::uint32_t kBm25Removed = 0xFFFFFFFF;
struct Bm25Scope {
  std::vector<double> idf;                  // of each query term as given, over the whole
  std::span<const std::uint32_t> position;  // by doc: its doc id in the whole, or kBm25Removed
};

// A sorted vocabulary as the index files store it: term i is bytes[offsets[i], offsets[i+1]).
struct Vocabulary {
  std::span<const std::uint64_t> offsets;
  std::span<const char> bytes;

  std::size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
  // REQUIRES: check() passed and i < size().
  std::string_view term(std::size_t i) const {
    return {bytes.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
  // The index of `term`, or -1. REQUIRES: check() passed.
  std::int64_t find(std::string_view term) const;
  // kCorrupt, `what` and the first fault: not `terms` terms, offsets that do not span the
  // bytes, a term empty or out of order. O(terms).
  Result<void> check(std::size_t terms, std::string_view what) const;
};

// The index as stored: what the lexical index file holds (docs/INDEX-FORMAT.md).
struct Bm25Posting {
  std::uint32_t doc;
  float tf;  // tf~ of the term in the document
};
struct Bm25Term {
  std::uint64_t first;        // its postings: postings[first, first + count)
  std::uint64_t first_block;  // its blocks: blocks[first_block, + ceil(count / kBm25Block))
  std::uint32_t count;        // documents holding the term (n_t)
  float max_tf;               // the largest tf~ among them: the term's score bound
};
// Each term's postings in blocks of kBm25Block (the last may be shorter), with the largest tf~
// and the last doc of each: the local bounds of block-max pruning.
inline constexpr std::size_t kBm25Block = 64;
inline std::uint64_t bm25_block_count(std::uint32_t postings) {
  return (std::uint64_t{postings} + kBm25Block - 1) / kBm25Block;
}
struct Bm25Block {
  std::uint32_t last_doc;
  float max_tf;
};
struct Bm25Parts {
  std::span<const std::uint64_t> term_offsets;  // term i is term_bytes[offsets[i], offsets[i+1])
  std::span<const char> term_bytes;
  std::span<const Bm25Term> terms;  // sorted by term bytes
  std::span<const Bm25Posting> postings;
  std::span<const Bm25Block> blocks;
  std::uint64_t doc_count = 0;
  double k1 = 1.2;
  std::array<double, kFieldCount> average{};  // average field lengths (informative)
};

class Bm25Index {
 public:
  // Adds documents one at a time (so a large corpus need not be held as terms), then build().
  class Builder {
   public:
    explicit Builder(Bm25Params params = {});
    ~Builder();
    void add(const FieldTerms& doc);  // the next doc id
    // Normalises field lengths by these averages instead of the added documents' own: the
    // documents added since a base index was built are scored as the base's are.
    void use_averages(const std::array<double, kFieldCount>& average) { averages_ = average; }
    Bm25Index build() &&;

   private:
    struct RawPosting {
      std::uint32_t doc;
      std::array<std::uint32_t, kFieldCount> tf;
    };
    void add_field(const std::vector<std::string>& terms, Field field, std::uint32_t doc);

    Bm25Params params_;
    std::optional<std::array<double, kFieldCount>> averages_;
    std::unordered_map<std::string, std::uint32_t> vocabulary_;    // term → raw_ slot
    std::vector<std::vector<RawPosting>> raw_;                     // by slot
    std::vector<std::array<std::uint32_t, kFieldCount>> lengths_;  // by doc
  };

  explicit Bm25Index(const std::vector<FieldTerms>& documents, Bm25Params params = {});
  // Documents that are a body only (tests, benchmarks).
  explicit Bm25Index(const std::vector<std::vector<std::string>>& bodies, Bm25Params params = {});

  // An index over arrays owned elsewhere (a file's memory map, which `keep_alive` holds).
  // kCorrupt, naming the first fault, when the arrays are not a well-formed index: offsets out
  // of order or out of bounds, a term's postings or blocks outside their arrays, an empty or
  // unsorted vocabulary entry. O(terms); the postings and blocks themselves are not read.
  static Result<Bm25Index> view(const Bm25Parts& parts, std::shared_ptr<const void> keep_alive);

  // The best `limit` documents with a positive score for the query terms, best first (ties:
  // lower doc id first). A term repeated in the query counts once. Costs the postings of the
  // query's rarer terms plus probes into its common ones, never O(documents).
  std::vector<ScoredDoc> search(const std::vector<std::string>& query_terms,
                                std::size_t limit) const {
    return search(query_terms, limit, nullptr);
  }
  // The same as a segment of a larger index (`scope` may be null): terms weigh their idf in the
  // whole, removed documents are skipped, and the results name documents of the whole.
  // REQUIRES: scope->idf has one entry per query term, scope->position one per document.
  std::vector<ScoredDoc> search(const std::vector<std::string>& query_terms, std::size_t limit,
                                const Bm25Scope* scope) const;

  // A score for these query terms as a share of the score of a document of average length
  // holding each of them once in its body: score / Σ idf(t) over the unique terms, where an
  // unknown term counts with its idf at n_t = 0. Clamped to [0, 1]. The relevance rule that
  // uses it is in retrieval/README.md.
  double relevance(double score, const std::vector<std::string>& query_terms) const {
    return relevance_within(
        score, relevance_bound(query_terms, [this](const std::string& t) { return idf(t); }));
  }
  // The two halves of relevance(), for scoring many results of one query: Σ idf(t) over the
  // unique query terms, each term's idf from `idf_of` (an index of several segments gives the
  // whole's), then score / that bound clamped to [0, 1] (0 when the bound is not positive).
  static double relevance_bound(const std::vector<std::string>& query_terms,
                                const std::function<double(const std::string&)>& idf_of);
  static double relevance_within(double score, double bound);

  // idf(t); a term no document holds gets the formula's value at n_t = 0.
  double idf(const std::string& term) const { return idf(count(term), parts_.doc_count); }
  // The formula, for a term `holding` of `documents` documents hold.
  static double idf(std::uint64_t holding, std::uint64_t documents);
  // n_t: the documents holding the term.
  std::uint32_t count(std::string_view term) const;
  // The term's postings; empty when no document holds it.
  std::span<const Bm25Posting> postings(std::string_view term) const;
  std::size_t size() const { return static_cast<std::size_t>(parts_.doc_count); }
  double average_length(Field field) const {
    return parts_.average[static_cast<std::size_t>(field)];
  }
  // The arrays, for the lexical index file's writer.
  const Bm25Parts& parts() const { return parts_; }

 private:
  struct Storage;  // a built index's arrays
  Bm25Index() = default;
  // The term's index in parts_.terms, or -1.
  Vocabulary vocabulary() const { return {parts_.term_offsets, parts_.term_bytes}; }

  Bm25Parts parts_;
  std::shared_ptr<const void> storage_;  // what parts_ views
};

}  // namespace rag::retrieval

// Snapshot build and search (see snapshot.hpp).
#include "retrieval/snapshot.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include "retrieval/query_terms.hpp"

namespace rag::retrieval {
Snapshot::~Snapshot() = default;

std::size_t Snapshot::vector_dimension(const std::vector<store::StoredChunk>& chunks,
                                       const store::IndexInfo& info) {
  if (info.dimension > 0) return static_cast<std::size_t>(info.dimension);
  for (const auto& c : chunks) {
    if (!c.embedding.empty()) return c.embedding.size();
  }
  return 0;
}

Snapshot::VectorRows Snapshot::take_vectors(std::vector<store::StoredChunk>& chunks,
                                            std::size_t dimension) {
  VectorRows rows;
  const auto fits = [&](const store::StoredChunk& c) {
    return dimension > 0 && c.embedding.size() == dimension;
  };
  // Reserved once: growing a matrix of gigabytes by doubling costs seconds and twice the memory.
  rows.matrix.reserve(static_cast<std::size_t>(std::ranges::count_if(chunks, fits)) * dimension);
  for (std::uint32_t doc = 0; doc < chunks.size(); ++doc) {
    auto& embedding = chunks[doc].embedding;
    if (fits(chunks[doc])) {
      rows.row_to_chunk.push_back(doc);
      rows.matrix.insert(rows.matrix.end(), embedding.begin(), embedding.end());
    }
    std::vector<float>().swap(embedding);
  }
  return rows;
}

Result<std::shared_ptr<const Snapshot>> Snapshot::build(std::vector<store::StoredChunk> chunks,
                                                        store::IndexInfo info,
                                                        std::string generation,
                                                        const SnapshotOptions& options,
                                                        StoredVectors* stored) {
  auto lexical = LexicalIndex::build(chunks);
  return assemble(std::move(lexical), std::move(chunks), std::move(info), std::move(generation),
                  options, stored);
}

Result<std::shared_ptr<const Snapshot>> Snapshot::assemble(
    LexicalIndex lexical, std::vector<store::StoredChunk> chunks, store::IndexInfo info,
    std::string generation, const SnapshotOptions& options, StoredVectors* stored) {
  if (!chunks.empty() && chunks.size() != lexical.size()) {
    return fail(ErrorCode::kInternal, "the lexical index holds " + std::to_string(lexical.size()) +
                                          " chunks, the vectors are of " +
                                          std::to_string(chunks.size()));
  }
  std::shared_ptr<Snapshot> snap(new Snapshot(std::move(lexical)));
  snap->options_ = options;
  snap->generation_ = std::move(generation);
  std::size_t dim = 0;
  if (stored != nullptr && stored->index != nullptr) {
    const auto& rows = stored->rows;
    const bool fits = rows.size() == stored->index->size() &&
                      std::ranges::adjacent_find(rows, std::greater_equal<>()) == rows.end() &&
                      (rows.empty() || rows.back() < snap->size());
    if (!fits) {
      return fail(ErrorCode::kInternal, "the stored vector index's rows do not fit the chunks");
    }
    dim = static_cast<std::size_t>(stored->index->dimension());
    snap->row_to_chunk_ = std::move(stored->rows);
    snap->vectors_ = std::move(stored->index);
  } else {
    dim = vector_dimension(chunks, info);
    auto rows = take_vectors(chunks, dim);
    snap->row_to_chunk_ = std::move(rows.row_to_chunk);
    if (!snap->row_to_chunk_.empty()) {
      auto vectors = VectorIndex::build(std::move(rows.matrix), snap->row_to_chunk_.size(),
                                        static_cast<int>(dim), options.vectors);
      if (!vectors) return std::unexpected(vectors.error());
      snap->vectors_ = std::move(*vectors);
    }
  }
  if (!snap->row_to_chunk_.empty()) {
    snap->vector_row_.assign(snap->size(), -1);
    for (std::uint32_t row = 0; row < snap->row_to_chunk_.size(); ++row) {
      snap->vector_row_[snap->row_to_chunk_[row]] = static_cast<std::int32_t>(row);
    }
  }

  info.chunks = snap->size();
  info.embedded_chunks = snap->row_to_chunk_.size();
  info.dimension = static_cast<int>(snap->row_to_chunk_.empty() ? 0 : dim);
  snap->info_ = std::move(info);
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Result<std::vector<Candidate>> Snapshot::rank(const std::vector<std::string>& terms,
                                              const std::vector<float>* query_vector,
                                              std::size_t n) const {
  const auto lexical = lexical_.search(terms, n);
  // The relevance rule's bound is the query's, the same for every result: found once.
  const double bound = lexical.empty() ? 0 : lexical_.relevance_bound(terms);
  const auto relevance = [bound](double score) {
    return Bm25Index::relevance_within(score, bound);
  };
  std::vector<Candidate> out;
  if (query_vector == nullptr) {
    for (const auto& d : lexical) out.push_back({d.doc, relevance(d.score)});
    return out;
  }
  auto dense_hits = vectors_->search(*query_vector, n);
  if (!dense_hits) return std::unexpected(dense_hits.error());
  std::vector<RankedId> lex_list, dense_list;
  std::unordered_map<std::uint32_t, double> lex_score;
  for (const auto& d : lexical) {
    lex_list.push_back({d.doc, d.score});
    lex_score.emplace(d.doc, d.score);
  }
  for (const auto& h : *dense_hits) {
    dense_list.push_back({row_to_chunk_[static_cast<std::size_t>(h.id)], h.similarity});
  }
  auto fused = fuse(lex_list, dense_list, options_.fusion);
  if (fused.size() > n) fused.resize(n);
  std::vector<float> q = *query_vector;
  VectorIndex::normalise(q.data(), static_cast<int>(q.size()));
  // The reported score is the stronger evidence: the cosine, or the lexical relevance of a
  // chunk the lexical list holds (retrieval/README.md, "Scores in [0, 1]").
  for (const auto& f : fused) {
    const std::int32_t row = vector_row_[f.id];
    double score = 0;
    if (row >= 0) score = std::clamp<double>(vectors_->similarity(q, row), 0.0, 1.0);
    if (auto it = lex_score.find(f.id); it != lex_score.end()) {
      score = std::max(score, relevance(it->second));
    }
    out.push_back({f.id, score});
  }
  return out;
}

std::vector<WeightedTerm> Snapshot::weigh(std::string_view query) const {
  std::vector<WeightedTerm> out;
  for (auto& term : query_terms(query)) {
    const double weight = lexical_.idf(term);
    out.push_back({std::move(term), weight});
  }
  return out;
}

namespace {

// The hits, unless what they were read from failed its checksum (LexicalIndex::intact).
Result<std::vector<Hit>> if_intact(const LexicalIndex& lexical, std::vector<Hit> hits) {
  if (auto intact = lexical.intact(); !intact) {
    return fail(ErrorCode::kIndexUnavailable, intact.error().message);
  }
  return hits;
}

}  // namespace

Result<std::vector<Hit>> Snapshot::source(std::string_view url) const {
  std::vector<Hit> out;
  for (const auto doc : lexical_.with_url(url)) out.push_back(make_hit({doc, 0.0}));
  return if_intact(lexical_, std::move(out));
}

Hit Snapshot::make_hit(const Candidate& c) const {
  const auto chunk = lexical_.chunk(c.id);
  return Hit{c.score, chunk.chunk_id, std::string(chunk.text()), chunk.metadata()};
}

Result<std::vector<Hit>> Snapshot::search(std::string_view query,
                                          const std::vector<float>* query_vector,
                                          std::size_t k) const {
  if (query_vector != nullptr && (query_vector->empty() || !vectors_)) query_vector = nullptr;
  if (query_vector != nullptr &&
      static_cast<int>(query_vector->size()) != vectors_->dimension()) {
    return fail(ErrorCode::kInvalidArgument,
                "query vector dimension " + std::to_string(query_vector->size()) +
                    " does not match the index's " + std::to_string(vectors_->dimension()));
  }
  const auto terms = query_terms(query);
  if (k == 0 || (terms.empty() && query_vector == nullptr)) return std::vector<Hit>{};
  // Lexical alone ranks by score, and the reported score (the relevance) never falls as the
  // score falls, so the filter keeps a prefix of the ranking no longer than k: the exact top k
  // are all it can keep, and a top k prunes more than a top 3k (bench/scale/RESULTS.md).
  // Fusion needs the deeper lists.
  const std::size_t n = query_vector != nullptr ? k * options_.candidate_multiplier : k;
  auto ranked = rank(terms, query_vector, n);
  if (!ranked) return std::unexpected(ranked.error());
  std::vector<Hit> hits;
  for (const auto& c : adaptive_filter(*ranked, k, options_.filter)) hits.push_back(make_hit(c));
  return if_intact(lexical_, std::move(hits));
}

}  // namespace rag::retrieval

// BM25 implementation: term-at-a-time scoring into a dense accumulator, then a partial sort.
#include "retrieval/bm25.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace rag::retrieval {

Bm25Index::Builder::Builder(Bm25Params params) : index_(new Bm25Index()) {
  index_->params_ = params;
}

void Bm25Index::Builder::add(const std::vector<std::string>& terms) {
  Bm25Index& ix = *index_;
  const auto d = static_cast<std::uint32_t>(ix.doc_lengths_.size());
  ix.doc_lengths_.push_back(static_cast<std::uint32_t>(terms.size()));
  total_terms_ += terms.size();
  for (const auto& term : terms) {
    auto [it, inserted] =
        ix.vocabulary_.try_emplace(term, static_cast<std::uint32_t>(ix.postings_.size()));
    if (inserted) ix.postings_.emplace_back();
    auto& list = ix.postings_[it->second];
    if (!list.empty() && list.back().doc == d) {
      ++list.back().tf;
    } else {
      list.push_back({d, 1});
    }
  }
}

Bm25Index Bm25Index::Builder::build() && {
  Bm25Index& ix = *index_;
  const auto n = ix.doc_lengths_.size();
  ix.avgdl_ = n == 0 ? 0 : static_cast<double>(total_terms_) / n;
  ix.length_norm_.reserve(n);
  for (auto len : ix.doc_lengths_) {
    const double rel = ix.avgdl_ > 0 ? len / ix.avgdl_ : 1.0;
    ix.length_norm_.push_back(
        ix.params_.k1 * (1 - ix.params_.b + ix.params_.b * rel));
  }
  for (auto& list : ix.postings_) list.shrink_to_fit();
  return std::move(ix);
}

Bm25Index::Bm25Index(const std::vector<std::vector<std::string>>& documents, Bm25Params params) {
  Builder builder(params);
  for (const auto& terms : documents) builder.add(terms);
  *this = std::move(builder).build();
}

double Bm25Index::idf_for_count(std::size_t n) const {
  const double total = static_cast<double>(doc_lengths_.size());
  return std::log(1.0 + (total - n + 0.5) / (n + 0.5));
}

double Bm25Index::idf(const std::string& term) const {
  auto it = vocabulary_.find(term);
  return idf_for_count(it == vocabulary_.end() ? 0 : postings_[it->second].size());
}

std::vector<std::uint32_t> Bm25Index::unique_term_ids(const std::vector<std::string>& terms) const {
  std::vector<std::uint32_t> ids;
  for (const auto& term : terms) {
    auto it = vocabulary_.find(term);
    if (it != vocabulary_.end() && std::find(ids.begin(), ids.end(), it->second) == ids.end()) {
      ids.push_back(it->second);
    }
  }
  return ids;
}

std::vector<ScoredDoc> Bm25Index::search(const std::vector<std::string>& query_terms,
                                         std::size_t limit) const {
  const auto ids = unique_term_ids(query_terms);
  if (ids.empty() || limit == 0) return {};
  std::vector<double> acc(doc_lengths_.size(), 0.0);
  const double k1p1 = params_.k1 + 1;
  for (auto id : ids) {
    const auto& list = postings_[id];
    const double w = idf_for_count(list.size()) * k1p1;
    for (const auto& p : list) {
      acc[p.doc] += w * p.tf / (p.tf + length_norm_[p.doc]);
    }
  }
  std::vector<ScoredDoc> hits;
  for (std::uint32_t d = 0; d < acc.size(); ++d) {
    if (acc[d] > 0) hits.push_back({d, acc[d]});
  }
  const auto better = [](const ScoredDoc& a, const ScoredDoc& b) {
    return a.score != b.score ? a.score > b.score : a.doc < b.doc;
  };
  const std::size_t n = std::min(limit, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(),
                    better);
  hits.resize(n);
  return hits;
}

double Bm25Index::scaled(double score, const std::vector<std::string>& query_terms) const {
  double bound = 0;
  std::unordered_set<std::string> seen;
  for (const auto& term : query_terms) {
    if (!seen.insert(term).second) continue;
    auto it = vocabulary_.find(term);
    const std::size_t n = it == vocabulary_.end() ? 1 : postings_[it->second].size();
    bound += idf_for_count(n) * (params_.k1 + 1);
  }
  if (bound <= 0) return 0;
  return std::clamp(score / bound, 0.0, 1.0);
}

}  // namespace rag::retrieval

// BM25F implementation: tf~ precomputed per posting at build time; term-at-a-time scoring into
// a dense accumulator, then a partial sort.
#include "retrieval/bm25.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace rag::retrieval {
namespace {

std::size_t slot(Field field) { return static_cast<std::size_t>(field); }

}  // namespace

Bm25Index::Builder::Builder(Bm25Params params) : index_(new Bm25Index()) {
  index_->params_ = params;
}

Bm25Index::Builder::~Builder() = default;

void Bm25Index::Builder::add_field(const std::vector<std::string>& terms, Field field,
                                   std::uint32_t doc) {
  Bm25Index& ix = *index_;
  for (const auto& term : terms) {
    auto [it, inserted] = ix.vocabulary_.try_emplace(term, static_cast<std::uint32_t>(raw_.size()));
    if (inserted) raw_.emplace_back();
    auto& list = raw_[it->second];
    if (list.empty() || list.back().doc != doc) list.push_back({doc, {}});
    ++list.back().tf[slot(field)];
  }
  lengths_.back()[slot(field)] = static_cast<std::uint32_t>(terms.size());
}

void Bm25Index::Builder::add(const FieldTerms& doc) {
  const auto d = static_cast<std::uint32_t>(lengths_.size());
  lengths_.push_back({});
  add_field(doc.body, Field::kBody, d);
  add_field(doc.title, Field::kTitle, d);
  add_field(doc.section, Field::kSection, d);
}

Bm25Index Bm25Index::Builder::build() && {
  Bm25Index& ix = *index_;
  const std::size_t n = lengths_.size();
  ix.doc_count_ = n;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    double total = 0;
    for (const auto& len : lengths_) total += len[f];
    ix.average_[f] = n == 0 ? 0 : total / static_cast<double>(n);
  }
  // norm[d][f] = 1 − b_f + b_f · len_f(d) / avglen_f (1 when the field is empty everywhere).
  std::vector<std::array<double, kFieldCount>> norm(n);
  for (std::size_t d = 0; d < n; ++d) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const double b = ix.params_.fields[f].b;
      const double rel = ix.average_[f] > 0 ? lengths_[d][f] / ix.average_[f] : 1.0;
      norm[d][f] = 1 - b + b * rel;
    }
  }
  ix.postings_.resize(raw_.size());
  for (std::size_t t = 0; t < raw_.size(); ++t) {
    auto& out = ix.postings_[t];
    out.reserve(raw_[t].size());
    for (const auto& p : raw_[t]) {
      double tf = 0;
      for (std::size_t f = 0; f < kFieldCount; ++f) {
        if (p.tf[f] > 0) tf += ix.params_.fields[f].weight * p.tf[f] / norm[p.doc][f];
      }
      if (tf > 0) out.push_back({p.doc, static_cast<float>(tf)});
    }
    std::vector<RawPosting>().swap(raw_[t]);  // free as we go
  }
  return std::move(ix);
}

Bm25Index::Bm25Index(const std::vector<FieldTerms>& documents, Bm25Params params) {
  Builder builder(params);
  for (const auto& doc : documents) builder.add(doc);
  *this = std::move(builder).build();
}

Bm25Index::Bm25Index(const std::vector<std::vector<std::string>>& bodies, Bm25Params params) {
  Builder builder(params);
  for (const auto& body : bodies) builder.add(FieldTerms{body, {}, {}});
  *this = std::move(builder).build();
}

double Bm25Index::idf_for_count(std::size_t n) const {
  const double total = static_cast<double>(doc_count_);
  return std::log(1.0 + (total - static_cast<double>(n) + 0.5) / (static_cast<double>(n) + 0.5));
}

double Bm25Index::idf(const std::string& term) const {
  auto it = vocabulary_.find(term);
  return idf_for_count(it == vocabulary_.end() ? 0 : postings_[it->second].size());
}

std::vector<ScoredDoc> Bm25Index::search(const std::vector<std::string>& query_terms,
                                         std::size_t limit) const {
  if (limit == 0 || doc_count_ == 0) return {};
  std::unordered_set<std::uint32_t> seen;
  std::vector<std::uint32_t> ids;
  for (const auto& term : query_terms) {
    auto it = vocabulary_.find(term);
    if (it != vocabulary_.end() && seen.insert(it->second).second) ids.push_back(it->second);
  }
  if (ids.empty()) return {};
  std::vector<double> acc(doc_count_, 0.0);
  const double k1 = params_.k1;
  for (auto id : ids) {
    const auto& list = postings_[id];
    const double w = idf_for_count(list.size()) * (k1 + 1);
    for (const auto& p : list) acc[p.doc] += w * p.tf / (k1 + p.tf);
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

double Bm25Index::relevance(double score, const std::vector<std::string>& query_terms) const {
  double bound = 0;
  std::unordered_set<std::string> seen;
  for (const auto& term : query_terms) {
    if (seen.insert(term).second) bound += idf(term);
  }
  if (bound <= 0) return 0;
  return std::clamp(score / bound, 0.0, 1.0);
}

}  // namespace rag::retrieval

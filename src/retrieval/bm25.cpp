// BM25F implementation: tf~ precomputed per posting at build time into flat arrays; the
// top-k search is in bm25_search.cpp.
#include "retrieval/bm25.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace rag::retrieval {
namespace {

std::size_t slot(Field field) { return static_cast<std::size_t>(field); }

}  // namespace

struct Bm25Index::Storage {
  std::vector<std::uint64_t> term_offsets;
  std::vector<char> term_bytes;
  std::vector<Bm25Term> terms;
  std::vector<Bm25Posting> postings;
  std::vector<Bm25Block> blocks;
};

Bm25Index::Builder::Builder(Bm25Params params) : params_(params) {}

Bm25Index::Builder::~Builder() = default;

void Bm25Index::Builder::add_field(const std::vector<std::string>& terms, Field field,
                                   std::uint32_t doc) {
  for (const auto& term : terms) {
    auto [it, inserted] = vocabulary_.try_emplace(term, static_cast<std::uint32_t>(raw_.size()));
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
  auto storage = std::make_shared<Storage>();
  Bm25Index ix;
  const std::size_t n = lengths_.size();
  ix.parts_.doc_count = n;
  ix.parts_.k1 = params_.k1;
  for (std::size_t f = 0; f < kFieldCount; ++f) {
    double total = 0;
    for (const auto& len : lengths_) total += len[f];
    ix.parts_.average[f] = n == 0 ? 0 : total / static_cast<double>(n);
  }
  if (averages_) ix.parts_.average = *averages_;
  // norm[d][f] = 1 − b_f + b_f · len_f(d) / avglen_f (1 when the field is empty everywhere).
  std::vector<std::array<double, kFieldCount>> norm(n);
  for (std::size_t d = 0; d < n; ++d) {
    for (std::size_t f = 0; f < kFieldCount; ++f) {
      const double b = params_.fields[f].b;
      const double average = ix.parts_.average[f];
      const double rel = average > 0 ? lengths_[d][f] / average : 1.0;
      norm[d][f] = 1 - b + b * rel;
    }
  }
  std::vector<std::pair<std::string_view, std::uint32_t>> sorted(vocabulary_.begin(),
                                                                 vocabulary_.end());
  std::ranges::sort(sorted);
  std::size_t bytes = 0;
  std::size_t postings = 0;
  for (const auto& [term, raw] : sorted) {
    bytes += term.size();
    postings += raw_[raw].size();
  }
  storage->term_bytes.reserve(bytes);
  storage->term_offsets.reserve(sorted.size() + 1);
  storage->terms.reserve(sorted.size());
  storage->postings.reserve(postings);
  storage->term_offsets.push_back(0);
  for (const auto& [term, raw] : sorted) {
    Bm25Term entry{storage->postings.size(), storage->blocks.size(), 0, 0};
    for (const auto& p : raw_[raw]) {
      double tf = 0;
      for (std::size_t f = 0; f < kFieldCount; ++f) {
        if (p.tf[f] > 0) tf += params_.fields[f].weight * p.tf[f] / norm[p.doc][f];
      }
      if (tf <= 0) continue;
      if ((storage->postings.size() - entry.first) % kBm25Block == 0) {
        storage->blocks.push_back({p.doc, 0});
      }
      storage->postings.push_back({p.doc, static_cast<float>(tf)});
      auto& block = storage->blocks.back();
      block.last_doc = p.doc;
      block.max_tf = std::max(block.max_tf, static_cast<float>(tf));
      entry.max_tf = std::max(entry.max_tf, static_cast<float>(tf));
    }
    std::vector<RawPosting>().swap(raw_[raw]);  // free as we go
    entry.count = static_cast<std::uint32_t>(storage->postings.size() - entry.first);
    if (entry.count == 0) continue;  // only zero-weight fields held it
    storage->term_bytes.insert(storage->term_bytes.end(), term.begin(), term.end());
    storage->term_offsets.push_back(storage->term_bytes.size());
    storage->terms.push_back(entry);
  }
  ix.parts_.term_offsets = storage->term_offsets;
  ix.parts_.term_bytes = storage->term_bytes;
  ix.parts_.terms = storage->terms;
  ix.parts_.postings = storage->postings;
  ix.parts_.blocks = storage->blocks;
  ix.storage_ = std::move(storage);
  return ix;
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

Result<Bm25Index> Bm25Index::view(const Bm25Parts& parts, std::shared_ptr<const void> keep_alive) {
  const auto corrupt = [](const std::string& why) {
    return fail(ErrorCode::kCorrupt, "lexical index: " + why);
  };
  const std::size_t terms = parts.terms.size();
  RAG_TRY((Vocabulary{parts.term_offsets, parts.term_bytes}.check(terms, "lexical index")));
  if (parts.doc_count > std::numeric_limits<std::uint32_t>::max()) {
    return corrupt("too many documents");
  }
  if (!(parts.k1 > 0 && parts.k1 < 1e6)) return corrupt("k1 out of range");
  Bm25Index ix;
  ix.parts_ = parts;
  for (std::size_t i = 0; i < terms; ++i) {
    const auto& entry = parts.terms[i];
    if (entry.count == 0 || entry.first > parts.postings.size() ||
        entry.count > parts.postings.size() - entry.first) {
      return corrupt("postings of term " + std::to_string(i) + " out of bounds");
    }
    if (entry.first_block > parts.blocks.size() ||
        bm25_block_count(entry.count) > parts.blocks.size() - entry.first_block) {
      return corrupt("blocks of term " + std::to_string(i) + " out of bounds");
    }
    if (!(entry.max_tf > 0) || !std::isfinite(entry.max_tf)) {
      return corrupt("bound of term " + std::to_string(i) + " out of range");
    }
  }
  ix.storage_ = std::move(keep_alive);
  return ix;
}

std::int64_t Vocabulary::find(std::string_view wanted) const {
  std::size_t low = 0;
  std::size_t high = size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (term(mid) < wanted) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low < size() && term(low) == wanted ? static_cast<std::int64_t>(low) : -1;
}

Result<void> Vocabulary::check(std::size_t terms, std::string_view what) const {
  const auto corrupt = [what](const std::string& why) {
    return fail(ErrorCode::kCorrupt, std::string(what) + ": " + why);
  };
  if (offsets.size() != terms + 1) return corrupt("term offsets do not match terms");
  if (offsets.front() != 0 || offsets.back() != bytes.size()) {
    return corrupt("term offsets do not span the term bytes");
  }
  for (std::size_t i = 0; i < terms; ++i) {
    // Bounds first: term(i) is formed only once its offsets are known to be in range.
    if (offsets[i] >= offsets[i + 1] || offsets[i + 1] > bytes.size() ||
        (i > 0 && !(term(i - 1) < term(i)))) {
      return corrupt("term " + std::to_string(i) + " is empty or out of order");
    }
  }
  return {};
}

double Bm25Index::idf(std::uint64_t holding, std::uint64_t documents) {
  const auto n = static_cast<double>(holding);
  return std::log(1.0 + (static_cast<double>(documents) - n + 0.5) / (n + 0.5));
}

std::uint32_t Bm25Index::count(std::string_view term) const {
  const auto i = vocabulary().find(term);
  return i < 0 ? 0 : parts_.terms[static_cast<std::size_t>(i)].count;
}

std::span<const Bm25Posting> Bm25Index::postings(std::string_view term) const {
  const auto i = vocabulary().find(term);
  if (i < 0) return {};
  const auto& entry = parts_.terms[static_cast<std::size_t>(i)];
  return parts_.postings.subspan(entry.first, entry.count);
}

double Bm25Index::relevance_bound(const std::vector<std::string>& query_terms,
                                  const std::function<double(const std::string&)>& idf_of) {
  double bound = 0;
  std::unordered_set<std::string> seen;
  for (const auto& term : query_terms) {
    if (seen.insert(term).second) bound += idf_of(term);
  }
  return bound;
}

double Bm25Index::relevance_within(double score, double bound) {
  if (bound <= 0) return 0;
  return std::clamp(score / bound, 0.0, 1.0);
}

}  // namespace rag::retrieval

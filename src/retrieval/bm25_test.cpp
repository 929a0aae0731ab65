// BM25F checked against values computed by hand (k1 = 1.2; body weight 1, b 0.75; title
// weight 3, b 0.5; section weight 2, b 0.5: the defaults).
//
// Body-only corpus (textbook BM25): d0 = [a b c], d1 = [a a d], d2 = [b e];  N = 3, avgdl = 8/3
//   idf(n=2) = ln(1 + 1.5/2.5) = ln 1.6 = 0.470004;  idf(n=1) = ln(1 + 2.5/1.5) = 0.980829
//   idf(n=0) = ln(1 + 3.5/0.5) = ln 8 = 2.079442
//   norm(|d|=3) = 0.25 + 0.75 * 3 / (8/3) = 1.09375;  norm(|d|=2) = 0.8125
//   "a":   d1: tf~ = 2 / 1.09375 = 1.828571, 0.470004 * 2.2 * tf~ / (1.2 + tf~) = 0.624307
//          d0: tf~ = 1 / 1.09375 = 0.914286, ... = 0.447139
//   "b e": d2 = 0.470004 * 2.2 / (1.2 * 0.8125 + 1) + 0.980829 * 2.2 / 1.975 = 1.616118
//
// Fielded corpus: d0 = body [x y] title [t]; d1 = body [t z]; d2 = body [y y] title [u]
// section [x]; average lengths: body 2, title 2/3, section 1/3.
//   d0 title "t": norm = 0.5 + 0.5 * 1 / (2/3) = 1.25, tf~ = 3 * 1 / 1.25 = 2.4
//   "t": d0 = 0.470004 * 2.2 * 2.4 / 3.6 = 0.689339 (title) > d1 = 0.470004 (body, tf~ = 1)
//   "y u": d2: y tf~ = 2 (body), u tf~ = 2.4 (title): 0.470004 * 2.2 * 2 / 3.2
//          + 0.980829 * 2.2 * 2.4 / 3.6 = 2.084805
//   "x": d2's section [x]: norm = 0.5 + 0.5 * 1 / (1/3) = 2, tf~ = 2 / 2 = 1: 0.470004, as d0's
//        body x (tf~ 1): a tie, lower doc id first.
#include "retrieval/bm25.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

namespace rag::retrieval {
namespace {

Bm25Index corpus() {
  return Bm25Index(
      std::vector<std::vector<std::string>>{{"a", "b", "c"}, {"a", "a", "d"}, {"b", "e"}});
}

Bm25Index fielded() {
  return Bm25Index(std::vector<FieldTerms>{
      {{"x", "y"}, {"t"}, {}}, {{"t", "z"}, {}, {}}, {{"y", "y"}, {"u"}, {"x"}}});
}

TEST(Bm25, IdfMatchesHandComputedValues) {
  const auto index = corpus();
  EXPECT_NEAR(index.idf("a"), 0.470004, 1e-6);
  EXPECT_NEAR(index.idf("e"), 0.980829, 1e-6);
  EXPECT_NEAR(index.idf("unknown"), 2.079442, 1e-6);
  EXPECT_NEAR(index.average_length(Field::kBody), 8.0 / 3.0, 1e-12);
}

TEST(Bm25, SingleTermScoresMatchHandComputedValues) {
  const auto hits = corpus().search({"a"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 1u);
  EXPECT_NEAR(hits[0].score, 0.624307, 1e-6);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_NEAR(hits[1].score, 0.447139, 1e-6);
}

TEST(Bm25, MultiTermScoresAddUp) {
  const auto hits = corpus().search({"b", "e"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 2u);
  EXPECT_NEAR(hits[0].score, 1.616118, 1e-6);
  EXPECT_EQ(hits[1].doc, 0u);
  EXPECT_NEAR(hits[1].score, 0.447139, 1e-6);
}

TEST(Bm25, TitleOutweighsBody) {
  const auto hits = fielded().search({"t"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 0u);
  EXPECT_NEAR(hits[0].score, 0.689339, 1e-6);
  EXPECT_EQ(hits[1].doc, 1u);
  EXPECT_NEAR(hits[1].score, 0.470004, 1e-6);
  EXPECT_NEAR(fielded().average_length(Field::kTitle), 2.0 / 3.0, 1e-12);
}

TEST(Bm25, FieldsOfOneDocumentAddUp) {
  const auto hits = fielded().search({"y", "u"}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].doc, 2u);
  EXPECT_NEAR(hits[0].score, 2.084805, 1e-6);
}

TEST(Bm25, SectionFieldIsSearchedWithItsOwnNormalisation) {
  const auto hits = fielded().search({"x"}, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].doc, 0u);
  EXPECT_EQ(hits[1].doc, 2u);
  EXPECT_NEAR(hits[1].score, 0.470004, 1e-6);
}

TEST(Bm25, OneBodyFieldOfWeightOneIsTextbookBm25) {
  Bm25Params params;
  params.fields[0] = {1.0, 0.75};
  const auto plain = Bm25Index(
      std::vector<FieldTerms>{
          {{"a", "b", "c"}, {}, {}}, {{"a", "a", "d"}, {}, {}}, {{"b", "e"}, {}, {}}},
      params);
  EXPECT_NEAR(plain.search({"a"}, 1)[0].score, 0.624307, 1e-6);
}

TEST(Bm25, RepeatedQueryTermCountsOnce) {
  const auto once = corpus().search({"a"}, 10);
  const auto twice = corpus().search({"a", "a"}, 10);
  ASSERT_EQ(twice.size(), once.size());
  EXPECT_DOUBLE_EQ(twice[0].score, once[0].score);
}

TEST(Bm25, ManyRepeatedQueryTermsCostLinearTime) {
  // 200,000 terms of which 2 distinct: a quadratic de-duplication would take minutes here.
  std::vector<std::string> query;
  for (int i = 0; i < 100000; ++i) {
    query.push_back("a");
    query.push_back("zzz" + std::to_string(i % 7));
  }
  const auto hits = corpus().search(query, 10);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_NEAR(hits[0].score, 0.624307, 1e-6);
}

TEST(Bm25, LimitAndUnknownTerms) {
  const auto index = corpus();
  EXPECT_EQ(index.search({"a"}, 1).size(), 1u);
  EXPECT_TRUE(index.search({"zzz"}, 10).empty());
  EXPECT_TRUE(index.search({}, 10).empty());
  EXPECT_TRUE(index.search({"a"}, 0).empty());
}

TEST(Bm25, RelevanceIsScoreOverSumOfIdf) {
  const auto index = corpus();
  EXPECT_NEAR(index.relevance(0.447139, {"a"}), 0.447139 / 0.470004, 1e-6);
  // An unknown query word counts with its idf at n = 0 (2.079442): it lowers relevance.
  EXPECT_NEAR(index.relevance(0.447139, {"a", "zzz"}), 0.447139 / (0.470004 + 2.079442), 1e-6);
  EXPECT_NEAR(index.relevance(0.447139, {"a", "a"}), 0.447139 / 0.470004, 1e-6);
  EXPECT_EQ(index.relevance(1.616118, {"b", "e"}), 1.0);  // clamped
  EXPECT_EQ(index.relevance(1.0, {}), 0.0);
}

TEST(Bm25, AverageDocumentHoldingEachTermOnceIsFullyRelevant) {
  // Every document has length 2 (= avgdl), every query term appears once: tf~ = 1.
  Bm25Index index(
      std::vector<std::vector<std::string>>{{"x", "y"}, {"p", "q"}, {"r", "s"}, {"x", "q"}});
  const auto hits = index.search({"p", "q"}, 1);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(index.relevance(hits[0].score, {"p", "q"}), 1.0, 1e-9);
}

TEST(Bm25, EmptyCorpus) {
  Bm25Index index(std::vector<std::vector<std::string>>{});
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.search({"a"}, 5).empty());
}

// What search() returned before dynamic pruning: every matching document scored term by term
// (in query order) into a dense accumulator, then the best `limit` by (score, lower doc).
std::vector<ScoredDoc> score_every_document(const Bm25Index& index,
                                            const std::vector<std::string>& query,
                                            std::size_t limit) {
  const auto& parts = index.parts();
  std::vector<double> acc(index.size(), 0.0);
  std::unordered_set<std::string> seen;
  for (const auto& term : query) {
    if (!seen.insert(term).second) continue;
    for (std::size_t t = 0; t < parts.terms.size(); ++t) {
      const auto from = parts.term_offsets[t];
      const std::string_view name(parts.term_bytes.data() + from, parts.term_offsets[t + 1] - from);
      if (name != term) continue;
      const auto& entry = parts.terms[t];
      const double w = index.idf(term) * (parts.k1 + 1);
      for (std::uint64_t i = entry.first; i < entry.first + entry.count; ++i) {
        const auto& p = parts.postings[i];
        acc[p.doc] += w * p.tf / (parts.k1 + p.tf);
      }
    }
  }
  std::vector<ScoredDoc> hits;
  for (std::uint32_t d = 0; d < acc.size(); ++d) {
    if (acc[d] > 0) hits.push_back({d, acc[d]});
  }
  std::ranges::sort(hits, [](const ScoredDoc& a, const ScoredDoc& b) {
    return a.score != b.score ? a.score > b.score : a.doc < b.doc;
  });
  if (hits.size() > limit) hits.resize(limit);
  return hits;
}

// A corpus with Zipf-like term frequencies (a few very common terms, many rare ones) and many
// exact score ties (documents that are copies of each other), where pruning has work to do.
Bm25Index random_corpus(std::mt19937& rng, std::size_t docs) {
  std::vector<FieldTerms> documents;
  std::uniform_real_distribution<double> unit(0, 1);
  const auto word = [&] {
    return "w" + std::to_string(static_cast<int>(std::pow(400.0, unit(rng))));
  };
  for (std::size_t d = 0; d < docs; ++d) {
    if (d > 0 && unit(rng) < 0.1) {
      documents.push_back(documents[d - 1]);
      continue;
    }
    FieldTerms doc;
    const auto length = 1 + static_cast<std::size_t>(unit(rng) * 60);
    for (std::size_t i = 0; i < length; ++i) doc.body.push_back(word());
    if (unit(rng) < 0.5) doc.title = {word(), word()};
    if (unit(rng) < 0.3) doc.section = {word()};
    documents.push_back(std::move(doc));
  }
  return Bm25Index(documents);
}

TEST(Bm25, PrunedTopKIsExactlyScoringEveryDocument) {
  std::mt19937 rng(22);
  for (const std::size_t docs : {1, 7, 300, 3000, 9000}) {  // the last, several windows
    const auto index = random_corpus(rng, docs);
    std::uniform_int_distribution<int> terms(1, 9);
    std::uniform_int_distribution<int> words(0, 420);  // some are unknown
    for (int q = 0; q < 150; ++q) {
      std::vector<std::string> query;
      for (int i = terms(rng); i > 0; --i) query.push_back("w" + std::to_string(words(rng)));
      if (q % 5 == 0) query.push_back(query.front());  // a repeated term
      for (const std::size_t limit : {1, 3, 15, 100, 100000}) {
        const auto pruned = index.search(query, limit);
        const auto every = score_every_document(index, query, limit);
        ASSERT_EQ(pruned.size(), every.size()) << docs << " docs, query " << q;
        for (std::size_t i = 0; i < every.size(); ++i) {
          EXPECT_EQ(pruned[i].doc, every[i].doc) << docs << " docs, query " << q << " #" << i;
          EXPECT_EQ(pruned[i].score, every[i].score) << "bit for bit";
        }
      }
    }
  }
}

TEST(Bm25, ViewOfTheSameArraysSearchesTheSame) {
  std::mt19937 rng(7);
  const auto built = random_corpus(rng, 500);
  auto viewed = Bm25Index::view(built.parts(), nullptr);
  ASSERT_TRUE(viewed.has_value()) << viewed.error().message;
  EXPECT_EQ(viewed->size(), built.size());
  for (const auto& query : std::vector<std::vector<std::string>>{{"w1"}, {"w3", "w50", "w399"}}) {
    const auto a = built.search(query, 10);
    const auto b = viewed->search(query, 10);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].doc, b[i].doc);
    EXPECT_EQ(viewed->idf(query[0]), built.idf(query[0]));
  }
}

TEST(Bm25, ViewRefusesArraysThatAreNotAnIndex) {
  const auto index = corpus();  // terms a b c d e, 7 postings
  const auto& good = index.parts();
  const auto refused = [](const Bm25Parts& parts) {
    auto viewed = Bm25Index::view(parts, nullptr);
    return !viewed.has_value() && viewed.error().code == ErrorCode::kCorrupt;
  };
  EXPECT_FALSE(refused(good));

  std::vector<std::uint64_t> offsets(good.term_offsets.begin(), good.term_offsets.end());
  auto parts = good;
  offsets[2] = 99;  // past the term bytes
  parts.term_offsets = offsets;
  EXPECT_TRUE(refused(parts));
  offsets.assign(good.term_offsets.begin(), good.term_offsets.end());
  std::swap(offsets[1], offsets[2]);  // out of order
  EXPECT_TRUE(refused(parts));

  std::vector<char> bytes(good.term_bytes.begin(), good.term_bytes.end());
  std::swap(bytes[0], bytes[1]);  // "b" before "a": not sorted
  parts = good;
  parts.term_bytes = bytes;
  EXPECT_TRUE(refused(parts));

  std::vector<Bm25Term> terms(good.terms.begin(), good.terms.end());
  terms[4].count = 100;  // past the postings
  parts = good;
  parts.terms = terms;
  EXPECT_TRUE(refused(parts));
  terms.assign(good.terms.begin(), good.terms.end());
  terms[4].first_block = 5;  // past the blocks (one per term here)
  EXPECT_TRUE(refused(parts));
  terms.assign(good.terms.begin(), good.terms.end());
  terms[0].first = ~std::uint64_t{0};  // would overflow first + count
  EXPECT_TRUE(refused(parts));
  terms.assign(good.terms.begin(), good.terms.end());
  terms[1].max_tf = std::nanf("");
  EXPECT_TRUE(refused(parts));

  parts = good;
  parts.term_offsets = parts.term_offsets.first(3);  // fewer offsets than terms + 1
  EXPECT_TRUE(refused(parts));
  parts = good;
  parts.blocks = parts.blocks.first(2);
  EXPECT_TRUE(refused(parts));
}

TEST(Bm25, PostingsOutOfOrderOnlyRankOddly) {
  // A damaged file's postings are not checked for order when viewed: each term's list reversed,
  // the search still ends, reads in bounds and names documents that exist.
  std::mt19937 rng(5);
  const auto index = random_corpus(rng, 6000);
  std::vector<Bm25Posting> postings(index.parts().postings.begin(), index.parts().postings.end());
  for (const auto& term : index.parts().terms) {
    std::reverse(postings.begin() + static_cast<std::ptrdiff_t>(term.first),
                 postings.begin() + static_cast<std::ptrdiff_t>(term.first + term.count));
  }
  auto parts = index.parts();
  parts.postings = postings;
  auto viewed = Bm25Index::view(parts, nullptr);
  ASSERT_TRUE(viewed.has_value());
  for (const auto& query : std::vector<std::vector<std::string>>{
           {"w1", "w2", "w3"}, {"w5", "w80", "w399", "w1"}, {"w7"}}) {
    for (const auto& hit : viewed->search(query, 10)) EXPECT_LT(hit.doc, index.size());
  }
}

TEST(Bm25, PostingsNamingNoDocumentAreNeverReturned) {
  // The postings are not checked when viewed: a doc id past the end is skipped by search.
  const auto index = corpus();
  std::vector<Bm25Posting> postings(index.parts().postings.begin(), index.parts().postings.end());
  for (auto& p : postings) p.doc += 1;  // d2's postings now name d3, which does not exist
  auto parts = index.parts();
  parts.postings = postings;
  auto viewed = Bm25Index::view(parts, nullptr);
  ASSERT_TRUE(viewed.has_value());
  for (const auto& hit : viewed->search({"a", "b", "c", "d", "e"}, 10)) EXPECT_LT(hit.doc, 3u);
}

}  // namespace
}  // namespace rag::retrieval

// Bm25Index::search: exact top-k by MaxScore (Turtle & Flood) with block-max bounds, the
// essential terms scored in bulk per window of documents (as Lucene's MaxScoreBulkScorer).
//
// The query's terms are ordered by their score bound, weakest first. Once the k-th best score
// so far exceeds what the weakest terms could add together, those are "non-essential": a
// document only they hold cannot make the top k, so only the others' postings are walked.
// Documents are taken in windows of kWindow ids. In a window, each essential term's postings are
// added term at a time into an accumulator (a tight loop over one array), and only the documents
// whose sum, plus what the non-essential terms' blocks allow, could beat the k-th score are
// looked at one by one: the non-essential terms are probed, strongest first, while they could
// still lift the document, and a survivor is scored exactly, term by term in query order, so the
// scores are those of scoring every document to the bit. The strongest non-essential term, which
// nearly every such document would probe first, is instead summed into the documents the window
// already holds when its postings there are few next to theirs (kSummedOverProbed); and the
// weakest essential terms are summed the same way in a window where their block bounds, with
// the non-essential terms', cannot beat the k-th score.
#include <algorithm>
#include <bit>
#include <unordered_set>

#include "retrieval/bm25.hpp"

namespace rag::retrieval {
namespace {

// A term's contribution bound is inflated by this factor so that rounding in a sum of bounds
// (or of contributions summed in another order) never prunes a document whose exact score would
// beat the threshold.
constexpr double kBoundSlack = 1 + 1e-9;

// Documents per window: small enough that the blocks (64 postings) of the common terms give
// a window a tight bound, large enough that a window's fixed costs stay below its postings'
// (1,024 measured best at 1M chunks; 512 no better, 4,096 ~12 % slower: bench/scale/RESULTS.md).
constexpr std::uint64_t kWindow = 1024;
// The strongest non-essential term is summed over a window's held documents, rather than probed
// for each document that could still make the top k, when its postings expected in the window
// are at most this many times the essential terms' postings there. Nearly every candidate probes
// that term first, and a probe is a cache miss into a long list where a summed posting costs a
// few cycles; the weaker terms are probed by few candidates, so they stay probed. On 1M chunks
// and SciFact's claims: 20.5k probes a query became 3.7k, for 55k postings summed, and the top-k
// 1.1-1.3x faster; 1.5 measured alike, 10 slower on two-term queries whose one rare term brings
// few candidates, which this rule keeps probing (bench/scale/RESULTS.md, stop 36).
constexpr double kSummedOverProbed = 3;
// The most blocks a term's window bound reads: a term holding every document spans
// kWindow / kBm25Block + 1 blocks of a window (its first and last ones partly).
constexpr std::size_t kWindowBlocks = kWindow / kBm25Block + 2;

// A query term's cursor in its postings, and in its blocks.
struct Cursor {
  static constexpr std::uint64_t kEnd = std::uint64_t{1} << 32;  // past every doc id

  std::span<const Bm25Posting> list;
  std::span<const Bm25Block> blocks;
  std::size_t pos = 0;
  std::uint64_t doc = 0;  // list[pos].doc, or kEnd once done (so done cursors sort last)
  double weight = 0;      // idf · (k1 + 1)
  double bound = 0;       // the largest contribution any of its postings can make
  double k1 = 0;
  std::size_t order = 0;  // its place among the query's unique terms
  std::size_t block = 0;  // the block block_bound() last looked at, and its bound
  double block_score = -1;

  void start() { doc = list.empty() ? kEnd : list[0].doc; }
  double contribution_of(float tf) const { return weight * tf / (k1 + tf); }
  // What a posting of at most this tf~ can add, with the slack.
  double bound_of(float tf) const { return contribution_of(tf) * kBoundSlack; }
  double contribution() const { return contribution_of(list[pos].tf); }
  void move_to(std::size_t p) {
    pos = std::min(list.size(), std::max(pos, p));  // forward only, even in a damaged list
    doc = pos < list.size() ? list[pos].doc : kEnd;
  }
  // Moves to the first posting whose doc is >= target (galloping, then binary search).
  void seek(std::uint64_t target) {
    if (doc >= target) return;
    std::size_t low = pos;
    std::size_t step = 1;
    while (low + step < list.size() && list[low + step].doc < target) {
      low += step;
      step *= 2;
    }
    const std::size_t high = std::min(list.size(), low + step + 1);
    move_to(static_cast<std::size_t>(
        std::partition_point(list.begin() + static_cast<std::ptrdiff_t>(low + 1),
                             list.begin() + static_cast<std::ptrdiff_t>(high),
                             [target](const Bm25Posting& p) { return p.doc < target; }) -
        list.begin()));
  }
  // seek(target) once block_bound(target) has found the block that would hold it: a forward
  // scan within that block (64 postings), from the cursor when it is already there. At 1M
  // documents this beat galloping over the list (cache misses) and a binary search in the
  // block (a mispredicted branch per step): bench/scale/RESULTS.md.
  void seek_in_block(std::uint64_t target) {
    std::size_t p = std::max(pos, block * kBm25Block);
    const std::size_t to = std::min(list.size(), (block + 1) * kBm25Block);
    while (p < to && list[p].doc < target) ++p;
    move_to(p);
  }
  // A bound over the documents [from, to): the largest of the bounds of the blocks that may
  // hold them, or the term's own bound when that would take more than kWindowBlocks blocks
  // (which a well-formed index never needs, and a damaged one must not make quadratic). Moves
  // the block pointer up to `from`, reading block headers only; 0 when no block is left.
  double window_bound(std::uint64_t from, std::uint64_t to) {
    while (block < blocks.size() && blocks[block].last_doc < from) {
      ++block;
      block_score = -1;
    }
    float most = 0;
    for (std::size_t b = block; b < blocks.size(); ++b) {
      if (b == block + kWindowBlocks) return bound;
      most = std::max(most, blocks[b].max_tf);
      if (blocks[b].last_doc + 1 >= to) break;
    }
    return most > 0 ? bound_of(most) : 0;
  }
  // The bound of the block that would hold `target`; moves only forward, reading block
  // headers, never postings. Past the last block: 0.
  double block_bound(std::uint64_t target) {
    const std::size_t from = block;
    while (block < blocks.size() && blocks[block].last_doc < target) ++block;
    if (block >= blocks.size()) return 0;
    if (block != from || block_score < 0) {
      block_score = bound_of(blocks[block].max_tf);
    }
    return block_score;
  }
};

// The essential terms' summed contributions over one window of documents [start, start +
// kWindow), and which documents hold any of them.
class WindowSums {
 public:
  WindowSums() : sum_(kWindow, 0.0), held_(kWindow / 64, 0) {}

  void open(std::uint64_t start) { start_ = start; }
  std::uint64_t end() const { return start_ + kWindow; }

  // Adds the contribution of each of the cursor's postings in the window, from its position
  // on, and returns the position past them; the cursor does not move (its postings there are
  // probed again for the documents scored exactly). A posting before the window can only be in
  // a damaged (unsorted) list and is skipped, so each posting is read once per search.
  std::size_t add(const Cursor& c) {
    return each_in_window(c, [this](std::uint64_t slot, double contribution) {
      sum_[slot] += contribution;
      held_[slot / 64] |= std::uint64_t{1} << (slot % 64);
    });
  }

  // As add(), but only into the documents the window already holds: a document that only this
  // cursor's term holds stays out (the caller knows it cannot make the top k).
  std::size_t add_to_held(const Cursor& c) {
    return each_in_window(c, [this](std::uint64_t slot, double contribution) {
      const auto held = static_cast<double>((held_[slot / 64] >> (slot % 64)) & 1);
      sum_[slot] += held * contribution;
    });
  }

  // visit(doc, sum) for each document some added posting held whose sum passes `keep`, in
  // increasing doc order; clears the window for the next. The documents are picked first
  // without a branch on `keep` (about a quarter pass it: a branch there is mispredicted often).
  template <class Keep, class Visit>
  void drain(Keep&& keep, Visit&& visit) {
    std::size_t picked = 0;
    for (std::size_t word = 0; word < held_.size(); ++word) {
      for (std::uint64_t bits = held_[word]; bits != 0; bits &= bits - 1) {
        const std::size_t slot = word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        const double sum = sum_[slot];
        sum_[slot] = 0;
        picked_[picked] = {static_cast<std::uint32_t>(slot), sum};
        picked += keep(sum) ? 1 : 0;
      }
      held_[word] = 0;
    }
    for (std::size_t i = 0; i < picked; ++i) visit(start_ + picked_[i].slot, picked_[i].sum);
  }

 private:
  // f(slot, contribution) for each of the cursor's postings in the window, from its position
  // on; returns the position past them.
  template <class F>
  std::size_t each_in_window(const Cursor& c, F&& f) const {
    std::size_t p = c.pos;
    for (; p < c.list.size(); ++p) {
      const std::uint64_t doc = c.list[p].doc;
      if (doc >= end()) break;
      if (doc < start_) continue;
      f(doc - start_, c.contribution_of(c.list[p].tf));
    }
    return p;
  }

  std::uint64_t start_ = 0;
  std::vector<double> sum_;          // by doc − start
  std::vector<std::uint64_t> held_;  // a bit per doc
  struct Picked {
    std::uint32_t slot;
    double sum;
  };
  std::vector<Picked> picked_ = std::vector<Picked>(kWindow);
};

// Better first: higher score, then lower doc id.
bool better(const ScoredDoc& a, const ScoredDoc& b) {
  return a.score != b.score ? a.score > b.score : a.doc < b.doc;
}

// The best `limit` documents offered so far, and the score a document must now beat.
class TopK {
 public:
  explicit TopK(std::size_t limit) : limit_(limit) {
    heap_.reserve(std::min<std::size_t>(limit, 1024) + 1);
  }
  double threshold() const { return threshold_; }
  // REQUIRES: score > threshold(); documents are offered in increasing order of id, so one
  // that only ties the k-th score would lose the tie and is never offered.
  void offer(std::uint32_t doc, double score) {
    heap_.push_back({doc, score});
    std::ranges::push_heap(heap_, better);  // the front is the worst of the best
    if (heap_.size() > limit_) {
      std::ranges::pop_heap(heap_, better);
      heap_.pop_back();
    }
    if (heap_.size() == limit_) threshold_ = heap_.front().score;
  }
  std::vector<ScoredDoc> take() && {
    std::ranges::sort_heap(heap_, better);
    return std::move(heap_);
  }

 private:
  std::size_t limit_;
  std::vector<ScoredDoc> heap_;
  double threshold_ = 0;
};

}  // namespace

std::vector<ScoredDoc> Bm25Index::search(const std::vector<std::string>& query_terms,
                                         std::size_t limit, const Bm25Scope* scope) const {
  if (limit == 0 || parts_.doc_count == 0) return {};
  const double k1 = parts_.k1;
  std::vector<Cursor> cursors;
  std::unordered_set<std::int64_t> seen;
  for (std::size_t t = 0; t < query_terms.size(); ++t) {
    const auto i = vocabulary().find(query_terms[t]);
    if (i < 0 || !seen.insert(i).second) continue;
    const auto& entry = parts_.terms[static_cast<std::size_t>(i)];
    Cursor c;
    c.list = parts_.postings.subspan(entry.first, entry.count);
    c.blocks = parts_.blocks.subspan(entry.first_block, bm25_block_count(entry.count));
    c.weight = (scope ? scope->idf[t] : idf(entry.count, parts_.doc_count)) * (k1 + 1);
    c.k1 = k1;
    c.bound = c.bound_of(entry.max_tf);
    c.order = cursors.size();
    c.start();
    cursors.push_back(c);
  }
  if (cursors.empty()) return {};
  const std::size_t n = cursors.size();
  // Weakest bound first; cumulative[i] bounds what terms 0..i can add together.
  std::ranges::sort(cursors, {}, &Cursor::bound);
  std::vector<double> cumulative(n);
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) cumulative[i] = sum += cursors[i].bound;

  TopK top(limit);
  WindowSums window;
  std::vector<std::size_t> scanned(n);  // by cursor: past its postings in the window
  std::vector<double> contribution(n);  // by order, for the document at hand
  std::vector<double> reach(n);         // what non-essential terms 0..i can add in the window
  // Terms [0, essential) together cannot lift a document above the threshold. Fixed per window
  // (a rising threshold only prunes more within it). Of those, [0, probed) are probed, and the
  // strongest may be summed with the essential ones (probed = essential - 1).
  std::size_t essential = 0;
  std::size_t probed = 0;
  double window_reach = 0;  // what the probed terms can add in the window
  // A document the essential terms hold, with the contributions of the terms [probed, n)
  // summed (in another order than the query's, hence the slack): probed, then scored exactly if
  // it could still make it.
  const auto consider = [&](std::uint64_t doc, double held) {
    const double threshold = top.threshold();
    double partial = held * kBoundSlack;
    if (partial + window_reach <= threshold) return;
    // The non-essential terms, strongest first, while what is left could still lift the
    // document above the threshold: the weaker terms' window bounds plus the bound of this
    // term's block here (a block header) before its postings are read. One block header per
    // probe, where reading every weak term's block first cost ~20 % more (bench/scale/RESULTS.md).
    for (std::size_t i = probed; i-- > 0;) {
      if (partial + reach[i] <= threshold) return;
      auto& c = cursors[i];
      if (partial + (i > 0 ? reach[i - 1] : 0.0) + c.block_bound(doc) <= threshold) return;
      c.seek_in_block(doc);
      contribution[c.order] = c.doc == doc ? c.contribution() : 0.0;
      partial += contribution[c.order];
    }
    if (doc >= parts_.doc_count) return;  // a damaged file's posting
    for (std::size_t i = probed; i < n; ++i) {
      auto& c = cursors[i];
      c.seek(doc);
      contribution[c.order] = c.doc == doc ? c.contribution() : 0.0;
    }
    // Summed in query order, as scoring every document term by term would: the same bits.
    double score = 0;
    for (const double x : contribution) score += x;
    if (!(score > threshold)) return;
    // A segment's documents keep their order in the whole, so the tie rule of offer() holds.
    const auto id = scope ? scope->position[doc] : static_cast<std::uint32_t>(doc);
    if (id != kBm25Removed) top.offer(id, score);
  };
  for (;;) {
    while (essential < n && cumulative[essential] <= top.threshold()) ++essential;
    std::uint64_t start = Cursor::kEnd;
    for (std::size_t i = essential; i < n; ++i) start = std::min(start, cursors[i].doc);
    if (start == Cursor::kEnd) break;
    window.open(start);
    double reached = 0;
    for (std::size_t i = 0; i < essential; ++i) {
      reach[i] = reached += cursors[i].window_bound(start, window.end());
    }
    // The weakest essential terms whose window bounds, with the non-essential terms', cannot
    // beat the threshold hold no document that could make the top k in this window on their
    // own: they are summed into the documents the stronger ones hold, not added to them.
    std::size_t holding = essential;  // terms [holding, n) make the window's documents
    for (double r = reached; holding + 1 < n; ++holding) {
      r += cursors[holding].window_bound(start, window.end());
      if (r > top.threshold()) break;
    }
    const auto sum_into_held = [&](std::size_t i) {
      cursors[i].seek(start);
      scanned[i] = window.add_to_held(cursors[i]);
    };
    std::size_t added = 0;
    for (std::size_t i = holding; i < n; ++i) {
      scanned[i] = window.add(cursors[i]);
      added += scanned[i] - cursors[i].pos;
    }
    for (std::size_t i = essential; i < holding; ++i) sum_into_held(i);
    probed = essential;
    if (essential > 0) {
      const double expected = static_cast<double>(cursors[essential - 1].list.size()) *
                              static_cast<double>(kWindow) / static_cast<double>(parts_.doc_count);
      if (expected <= kSummedOverProbed * static_cast<double>(added)) {
        probed = essential - 1;
        sum_into_held(probed);
      }
    }
    window_reach = probed > 0 ? reach[probed - 1] : 0.0;
    const double floor = top.threshold();
    window.drain([&](double held) { return held * kBoundSlack + window_reach > floor; }, consider);
    for (std::size_t i = probed; i < n; ++i) cursors[i].move_to(scanned[i]);
  }
  return std::move(top).take();
}

}  // namespace rag::retrieval

// Scores a search function on a collection (docs/eval.md): each query is searched, each hit
// mapped to the document it stands for (its citation url, or its source path when that is
// what the judgements name), and the ranking scored (metrics.hpp). Questions without
// judgements (a questions file's `"pages": []`) are not scored: they count as refused when
// the search found nothing, as answered otherwise.
//
// Thread-safety: evaluate() runs on the calling thread; `search` is called from it.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "eval/collection.hpp"
#include "eval/metrics.hpp"
#include "retrieval/snapshot.hpp"

namespace rag::eval {

using SearchFn = std::function<Result<std::vector<retrieval::Hit>>(const std::string& query)>;
// Called after each query with (done, total).
using ProgressFn = std::function<void(std::size_t, std::size_t)>;

struct QueryOutcome {
  const EvalQuery* query = nullptr;
  std::vector<std::string> ranked;  // document ids, best first (a document once)
  QueryMetrics metrics;             // all zero for an unjudged question
};

struct Report {
  MeanMetrics judged;                 // over the queries with judgements
  std::size_t unjudged = 0;           // questions the documents do not answer...
  std::size_t unjudged_answered = 0;  // ...that got a result anyway
  std::vector<QueryOutcome> queries;  // in collection order
};

// The id a hit stands for: whichever of its citation url and its source path `judged`
// names, else the citation url (else the source path).
std::string document_id(const retrieval::Hit& hit, const Judgements& judged);

// A failed search fails the run (an error is not "no result").
Result<Report> evaluate(const Collection& collection, const SearchFn& search,
                        const ProgressFn& progress = {});

}  // namespace rag::eval

// Scoring a search function on a collection (see evaluator.hpp).
#include "eval/evaluator.hpp"

#include <set>

namespace rag::eval {

std::string document_id(const retrieval::Hit& hit, const Judgements& judged) {
  const auto& url = hit.metadata.citation_url;
  const auto& source = hit.metadata.source;
  if (judged.contains(url)) return url;
  if (judged.contains(source) || url.empty()) return source;
  return url;
}

Result<Report> evaluate(const Collection& collection, const SearchFn& search,
                        const ProgressFn& progress) {
  Report report;
  std::vector<QueryMetrics> scored;
  std::size_t done = 0;
  for (const auto& query : collection.queries) {
    auto hits = search(query.text);
    if (!hits) {
      return fail(hits.error().code,
                  "query " + query.id + " (\"" + query.text + "\"): " + hits.error().message);
    }
    QueryOutcome outcome{&query, {}, {}};
    std::set<std::string> seen;
    for (const auto& hit : *hits) {
      auto id = document_id(hit, query.judged);
      if (seen.insert(id).second) outcome.ranked.push_back(std::move(id));
    }
    if (query.judged.empty()) {
      ++report.unjudged;
      report.unjudged_answered += outcome.ranked.empty() ? 0 : 1;
      outcome.metrics.no_result = outcome.ranked.empty();
    } else {
      outcome.metrics = score_ranking(outcome.ranked, query.judged);
      scored.push_back(outcome.metrics);
    }
    report.queries.push_back(std::move(outcome));
    if (progress) progress(++done, collection.queries.size());
  }
  report.judged = mean_of(scored);
  return report;
}

}  // namespace rag::eval

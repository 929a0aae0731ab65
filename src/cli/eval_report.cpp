// Rendering of `rag-server eval` reports (see eval_report.hpp).
#include "cli/eval_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace rag::cli {
namespace {

using nlohmann::json;

double share(std::size_t part, std::size_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

json metrics_json(const eval::QueryMetrics& m) {
  return {{"ndcg@10", m.ndcg10},
          {"recall@5", m.recall5},
          {"recall@10", m.recall10},
          {"recall@100", m.recall100},
          {"mrr@10", m.mrr10}};
}

}  // namespace

std::string report_text(const eval::Report& report, const EvalContext& context) {
  const auto& m = report.judged.mean;
  std::string out =
      fmt::format("{}: {} judged queries, {} search over {} chunks, depth {}\n", context.collection,
                  report.judged.queries, context.mode, context.chunks, context.depth);
  out += fmt::format("  nDCG@10     {:.4f}\n  recall@5    {:.4f}\n  recall@10   {:.4f}\n", m.ndcg10,
                     m.recall5, m.recall10);
  out += fmt::format("  recall@100  {:.4f}\n  MRR@10      {:.4f}\n", m.recall100, m.mrr10);
  out += fmt::format("  no result   {:.1f} % ({} of {})\n",
                     100 * share(report.judged.no_result, report.judged.queries),
                     report.judged.no_result, report.judged.queries);
  if (report.unjudged > 0) {
    out += fmt::format("  questions the documents do not answer: {}, of which {} got a result\n",
                       report.unjudged, report.unjudged_answered);
  }
  return out;
}

std::string report_json(const eval::Report& report, const EvalContext& context) {
  json summary = metrics_json(report.judged.mean);
  summary["queries"] = report.judged.queries;
  summary["no_result"] = share(report.judged.no_result, report.judged.queries);
  summary["unanswerable"] = report.unjudged;
  summary["unanswerable_answered"] = report.unjudged_answered;
  json queries = json::array();
  for (const auto& q : report.queries) {
    json entry = metrics_json(q.metrics);
    entry["id"] = q.query->id;
    entry["query"] = q.query->text;
    json relevant = json::array();
    for (const auto& [id, grade] : q.query->judged) {
      if (grade > 0) relevant.push_back(id);
    }
    entry["relevant"] = std::move(relevant);
    entry["ranked"] = json(std::vector<std::string>(
        q.ranked.begin(), q.ranked.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min<std::size_t>(q.ranked.size(), 10))));
    entry["no_result"] = q.ranked.empty();
    queries.push_back(std::move(entry));
  }
  json out = {{"collection", context.collection}, {"mode", context.mode},
              {"chunks", context.chunks},         {"depth", context.depth},
              {"summary", std::move(summary)},    {"queries", std::move(queries)}};
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace rag::cli

// Retrieval metrics (see metrics.hpp for the definitions).
#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

namespace rag::eval {
namespace {

double discount(std::size_t rank) { return 1.0 / std::log2(static_cast<double>(rank) + 2.0); }

int grade_of(const Judgements& judged, const std::string& id) {
  const auto it = judged.find(id);
  return it == judged.end() ? 0 : it->second;
}

}  // namespace

QueryMetrics score_ranking(const std::vector<std::string>& ranked, const Judgements& judged) {
  QueryMetrics m;
  m.no_result = ranked.empty();
  std::vector<int> grades;  // of the distinct documents, in rank order
  std::set<std::string> seen;
  for (const auto& id : ranked) {
    if (seen.insert(id).second) grades.push_back(grade_of(judged, id));
  }
  std::vector<int> ideal;
  std::size_t relevant = 0;
  for (const auto& [id, grade] : judged) {
    if (grade > 0) {
      ideal.push_back(grade);
      ++relevant;
    }
  }
  if (relevant == 0) return m;
  std::sort(ideal.begin(), ideal.end(), std::greater<>());
  double dcg = 0, idcg = 0;
  for (std::size_t i = 0; i < 10 && i < grades.size(); ++i) dcg += grades[i] * discount(i);
  for (std::size_t i = 0; i < 10 && i < ideal.size(); ++i) idcg += ideal[i] * discount(i);
  m.ndcg10 = dcg / idcg;
  const auto recall_at = [&](std::size_t k) {
    const auto n = std::min(k, grades.size());
    const auto hits = std::count_if(grades.begin(), grades.begin() + static_cast<std::ptrdiff_t>(n),
                                    [](int g) { return g > 0; });
    return static_cast<double>(hits) / static_cast<double>(relevant);
  };
  m.recall5 = recall_at(5);
  m.recall10 = recall_at(10);
  m.recall100 = recall_at(100);
  for (std::size_t i = 0; i < 10 && i < grades.size(); ++i) {
    if (grades[i] > 0) {
      m.mrr10 = 1.0 / static_cast<double>(i + 1);
      break;
    }
  }
  return m;
}

MeanMetrics mean_of(const std::vector<QueryMetrics>& each) {
  MeanMetrics out;
  out.queries = each.size();
  if (each.empty()) return out;
  for (const auto& m : each) {
    out.mean.ndcg10 += m.ndcg10;
    out.mean.recall5 += m.recall5;
    out.mean.recall10 += m.recall10;
    out.mean.recall100 += m.recall100;
    out.mean.mrr10 += m.mrr10;
    out.no_result += m.no_result ? 1 : 0;
  }
  const double n = static_cast<double>(each.size());
  for (double* v : {&out.mean.ndcg10, &out.mean.recall5, &out.mean.recall10, &out.mean.recall100,
                    &out.mean.mrr10}) {
    *v /= n;
  }
  return out;
}

}  // namespace rag::eval

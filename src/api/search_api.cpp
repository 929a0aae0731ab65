// /search request parsing and response building.
#include "api/search_api.hpp"

#include "common/utf8.hpp"

namespace rag::api {

std::expected<SearchRequest, ValidationErrors> parse_search_request(std::string_view body,
                                                                    std::string_view content_type,
                                                                    const InputLimits& limits) {
  auto parsed = parse_json_object_body(body, content_type);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const nlohmann::json& obj = *parsed;
  ValidationErrors errors;
  SearchRequest request;

  const Loc query_loc = body_loc("query");
  if (auto it = obj.find("query"); it == obj.end()) {
    errors.add(missing_error(query_loc));
  } else if (auto query = coerce_str(*it, query_loc, errors)) {
    if (utf8_length(*query) > limits.max_query_chars)
      errors.add(max_length_error(query_loc, limits.max_query_chars));
    request.query = std::move(*query);
  }

  const Loc k_loc = body_loc("k");
  if (auto it = obj.find("k"); it != obj.end() && !it->is_null()) {
    if (auto k = coerce_int(*it, k_loc, errors)) {
      if (check_range(*k, 1, kMaxSearchK, k_loc, errors)) request.k = static_cast<int>(*k);
    }
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return request;
}

std::string citation_text(std::string_view title, std::string_view url) {
  if (title.empty()) return std::string(url);
  if (url.empty()) return std::string(title);
  std::string out(title);
  out.append(" (").append(url).append(")");
  return out;
}

nlohmann::ordered_json hit_to_json(const retrieval::Hit& hit) {
  const auto& meta = hit.metadata;
  return nlohmann::ordered_json{
      {"score", hit.score},
      {"content", hit.content},
      {"metadata", meta.api_json(hit.chunk_id)},
      {"citation_url", meta.citation_url},
      {"page_title", meta.page_title},
      {"citation", citation_text(meta.page_title, meta.citation_url)},
  };
}

std::string search_response_body(const std::vector<retrieval::Hit>& hits, std::string_view query,
                                 std::string_view timestamp) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const auto& hit : hits) results.push_back(hit_to_json(hit));
  const nlohmann::ordered_json body{
      {"results", std::move(results)},
      {"query", query},
      {"timestamp", timestamp},
  };
  // Stored texts are valid UTF-8 (the indexer validates); replace rather than throw if not.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rag::api

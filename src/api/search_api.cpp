// /search request parsing and response building.
#include "api/search_api.hpp"

#include "common/json_text.hpp"
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

std::string search_response_body(const std::vector<retrieval::Hit>& hits, std::string_view query,
                                 std::string_view timestamp) {
  // Written directly, as nlohmann's dump() of the same object spells it (search_api_test.cpp
  // checks both agree): the passages are most of the body, and are copied once, not three times.
  std::string out;
  std::size_t size = 64 + query.size() + timestamp.size();
  for (const auto& hit : hits) size += 2 * hit.content.size() + 512;
  out.reserve(size);
  out += R"({"results":[)";
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& hit = hits[i];
    const auto& meta = hit.metadata;
    out += i == 0 ? R"({"score":)" : R"(,{"score":)";
    out += nlohmann::json(hit.score).dump();
    out += R"(,"content":)";
    append_json_text(out, hit.content);
    out += R"(,"metadata":)";
    out += meta.api_json_text(hit.chunk_id);
    out += R"(,"citation_url":)";
    append_json_text(out, meta.citation_url);
    out += R"(,"page_title":)";
    append_json_text(out, meta.page_title);
    out += R"(,"citation":)";
    append_json_text(out, citation_text(meta.page_title, meta.citation_url));
    out += '}';
  }
  out += R"(],"query":)";
  append_json_text(out, query);
  out += R"(,"timestamp":)";
  append_json_text(out, timestamp);
  out += '}';
  return out;
}

}  // namespace rag::api

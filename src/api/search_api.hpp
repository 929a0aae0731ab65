// POST /search without HTTP: parse and validate the body (docs/api.md), and build the
// response JSON from retrieval hits. The HTTP handler (lead) calls parse_search_request(),
// answers 422 with errors.body() on failure, runs the Searcher, then search_response_body().
//
//   request:  {"query": str (required, ≤ MAX_QUERY_CHARS code points), "k": int = 5, 1..50
//              (null → 5)}
//   response: {"results": [{"score", "content", "metadata", "citation_url", "page_title",
//              "citation"}], "query": str, "timestamp": local ISO 8601 with microseconds}
// A blank query is valid (200 with "results": []): the Searcher returns no hits for it.
//
// Thread-safety: pure functions.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/input_limits.hpp"
#include "api/validation.hpp"
#include "retrieval/snapshot.hpp"

namespace rag::api {

inline constexpr int kDefaultSearchK = 5;
inline constexpr int kMaxSearchK = 50;

struct SearchRequest {
  std::string query;
  int k = kDefaultSearchK;
};

std::expected<SearchRequest, ValidationErrors> parse_search_request(std::string_view body,
                                                                    std::string_view content_type,
                                                                    const InputLimits& limits = {});

// "Title (url)"; just the url when the title is empty, just the title when the url is.
std::string citation_text(std::string_view title, std::string_view url);

// The whole 200 body; each result's metadata as store::ChunkMetadata::api_json shows it
// (chunk_id first).
std::string search_response_body(const std::vector<retrieval::Hit>& hits, std::string_view query,
                                 std::string_view timestamp);

}  // namespace rag::api

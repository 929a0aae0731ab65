// GET /openapi.json and the /docs page (see openapi.hpp).
#include "web/openapi.hpp"

#include <boost/beast/http/field.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <string_view>

#include "web/assets.hpp"

#ifndef RAG_SERVER_VERSION
#define RAG_SERVER_VERSION "0.0.0"
#endif

namespace rag::web {
namespace {

namespace asio = boost::asio;
using boost::beast::http::field;

constexpr std::string_view kDocumentAsset = "apidoc/openapi.json";
constexpr std::string_view kPageAsset = "apidoc/index.html";

http::Response asset_response(const Asset& asset, unsigned version) {
  http::Response res{http::Status::ok, version};
  res.set(field::content_type, std::string(asset.content_type));
  res.body().assign(asset.body.data(), asset.body.size());
  res.prepare_payload();
  return res;
}

// Only the page's own script and style sheet are served under /docs/.
bool is_page_file(const Asset& asset) {
  return asset.content_type.starts_with("text/javascript") ||
         asset.content_type.starts_with("text/css");
}

}  // namespace

std::string openapi_document(const OpenApiOptions& options) {
  const Asset* asset = find_asset(kDocumentAsset);
  if (!asset) return "{}";
  try {
    auto doc = nlohmann::ordered_json::parse(asset->body);
    doc["info"]["version"] = options.version.empty() ? RAG_SERVER_VERSION : options.version;
    auto& schemas = doc["components"]["schemas"];
    schemas["ChatRequest"]["properties"]["message"]["maxLength"] = options.max_message_chars;
    schemas["ChatRequest"]["properties"]["history"]["maxItems"] = options.max_history_messages;
    schemas["HistoryItem"]["properties"]["content"]["maxLength"] = options.max_history_chars;
    schemas["SearchRequest"]["properties"]["query"]["maxLength"] = options.max_query_chars;
    return doc.dump();
  } catch (const nlohmann::json::exception& e) {
    spdlog::error("The embedded OpenAPI document is broken ({}); serving it unchanged", e.what());
    return std::string(asset->body);
  }
}

void add_openapi_routes(http::Router& router, const OpenApiOptions& options) {
  auto document = std::make_shared<const std::string>(openapi_document(options));
  router.add(http::Verb::get, "/openapi.json",
             [document](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
               co_return http::json_response(http::Status::ok, *document, ctx.request.version());
             });

  router.add(http::Verb::get, "/docs",
             [](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
               const Asset* page = find_asset(kPageAsset);
               if (!page)
                 co_return http::error_response(http::Status::not_found, "Not Found",
                                                ctx.request.version());
               auto res = asset_response(*page, ctx.request.version());
               res.set("Content-Security-Policy", kDocsContentSecurityPolicy);
               co_return res;
             });

  router.add(http::Verb::get, "/docs/{file}",
             [](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
               // The name is one path segment looked up among the compiled-in files: it can
               // never reach the filesystem.
               const Asset* asset = find_asset("apidoc/" + ctx.params["file"]);
               if (!asset || !is_page_file(*asset))
                 co_return http::error_response(http::Status::not_found, "Not Found",
                                                ctx.request.version());
               co_return asset_response(*asset, ctx.request.version());
             });
}

}  // namespace rag::web

// The embedded OpenAPI document's structure (every route, every $ref, X-Request-Id everywhere)
// and the routes that serve it and its page. The document's agreement with the real server's
// answers is checked by tests/integration/test_openapi.py.
#include "web/openapi.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "web/assets.hpp"

namespace rag::web {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

OpenApiOptions options(std::size_t max_message_chars, std::string version = "") {
  OpenApiOptions o;
  o.version = std::move(version);
  o.max_message_chars = max_message_chars;
  return o;
}

json embedded_document() {
  const Asset* asset = find_asset("apidoc/openapi.json");
  if (!asset) throw std::runtime_error("apidoc/openapi.json is not embedded");
  return json::parse(asset->body);
}

http::Response get(const http::Router& router, std::string target) {
  asio::io_context ioc;
  http::Request req{http::Verb::get, target, 11};
  http::RequestContext ctx(req, "127.0.0.1");
  auto fut = asio::co_spawn(ioc, router.dispatch(ctx), asio::use_future);
  ioc.run();
  return fut.get();
}

// Resolves a local reference ("#/components/schemas/X") or returns null.
const json* resolve(const json& doc, const std::string& ref) {
  if (!ref.starts_with("#")) return nullptr;
  try {
    return &doc.at(json::json_pointer(ref.substr(1)));
  } catch (const json::exception&) {
    return nullptr;
  }
}

void collect_refs(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) out.push_back(value.get<std::string>());
      else collect_refs(value, out);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) collect_refs(value, out);
  }
}

TEST(OpenApiDocument, IsOpenApi31AndDescribesEveryRoute) {
  const json doc = embedded_document();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"/", "get"},          {"/healthz", "get"},
      {"/readyz", "get"},    {"/metrics", "get"},
      {"/search", "post"},   {"/chat", "post"},
      {"/feedback", "post"},
      {"/sessions/{id}/history", "get"},
      {"/sessions/{id}", "delete"},
      {"/v1/chat/completions", "post"},
      {"/v1/models", "get"}, {"/ui", "get"}, {"/ui/source", "get"}, {"/ui/{file}", "get"},
      {"/openapi.json", "get"},
      {"/docs", "get"},      {"/docs/{file}", "get"}};
  for (const auto& [path, method] : routes) {
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    EXPECT_TRUE(doc["paths"][path].contains(method)) << method << " " << path;
  }
  EXPECT_EQ(doc["paths"].size(), routes.size()) << "a documented path the server lacks?";
}

TEST(OpenApiDocument, EveryReferenceResolves) {
  const json doc = embedded_document();
  std::vector<std::string> refs;
  collect_refs(doc, refs);
  EXPECT_GT(refs.size(), 50u);
  for (const auto& ref : refs) EXPECT_NE(resolve(doc, ref), nullptr) << ref;
}

TEST(OpenApiDocument, EveryResponseCarriesTheRequestIdHeader) {
  const json doc = embedded_document();
  std::vector<std::pair<std::string, const json*>> responses;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, operation] : item.items())
      for (const auto& [status, response] : operation["responses"].items())
        responses.emplace_back(method + " " + path + " " + status, &response);
  for (const auto& [name, response] : doc["components"]["responses"].items())
    responses.emplace_back(name, &response);
  EXPECT_GT(responses.size(), 50u);
  for (const auto& [name, response] : responses) {
    ASSERT_TRUE(response->contains("headers")) << name;
    const auto& header = (*response)["headers"];
    ASSERT_TRUE(header.contains("X-Request-Id")) << name;
    EXPECT_EQ(header["X-Request-Id"].value("$ref", ""), "#/components/headers/X-Request-Id")
        << name;
  }
  EXPECT_TRUE(doc["components"]["headers"]["X-Request-Id"]["required"].get<bool>());
}

TEST(OpenApiDocument, OperationIdsAreUnique) {
  const json doc = embedded_document();
  std::set<std::string> ids;
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, operation] : item.items())
      EXPECT_TRUE(ids.insert(operation.at("operationId").get<std::string>()).second)
          << method << " " << path;
}

TEST(OpenApiDocument, ServedDocumentCarriesTheVersionAndTheMessageLimit) {
  const json served = json::parse(openapi_document(options(1234)));
  EXPECT_EQ(served["info"]["version"], RAG_SERVER_VERSION);
  EXPECT_EQ(served["components"]["schemas"]["ChatRequest"]["properties"]["message"]["maxLength"],
            1234);
  EXPECT_EQ(json::parse(openapi_document(options(8000, "9.9.9")))["info"]["version"], "9.9.9");
  // Everything else is the embedded file as written.
  json expected = embedded_document();
  expected["info"]["version"] = RAG_SERVER_VERSION;
  expected["components"]["schemas"]["ChatRequest"]["properties"]["message"]["maxLength"] = 1234;
  EXPECT_EQ(served, expected);
}

TEST(OpenApiDocument, ServedDocumentCarriesTheHistoryAndQueryLimits) {
  OpenApiOptions o;
  o.max_history_messages = 7;
  o.max_history_chars = 99;
  o.max_query_chars = 55;
  const json schemas = json::parse(openapi_document(o))["components"]["schemas"];
  EXPECT_EQ(schemas["ChatRequest"]["properties"]["history"]["maxItems"], 7);
  EXPECT_EQ(schemas["HistoryItem"]["properties"]["content"]["maxLength"], 99);
  EXPECT_EQ(schemas["SearchRequest"]["properties"]["query"]["maxLength"], 55);
}

TEST(OpenApiRoutes, ServeTheDocumentAsJson) {
  http::Router router;
  add_openapi_routes(router, options(99));
  const auto res = get(router, "/openapi.json");
  EXPECT_EQ(res.result(), http::Status::ok);
  EXPECT_EQ(res[boost::beast::http::field::content_type], "application/json; charset=utf-8");
  EXPECT_EQ(res.body(), openapi_document(options(99)));
}

TEST(OpenApiRoutes, DocsPageHasAStrictPolicyAndNoInlineCode) {
  http::Router router;
  add_openapi_routes(router);
  const auto res = get(router, "/docs");
  ASSERT_EQ(res.result(), http::Status::ok);
  EXPECT_EQ(res[boost::beast::http::field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(res["Content-Security-Policy"], kDocsContentSecurityPolicy);
  const std::string html = res.body();
  // Every script has a src (no inline code), no inline event handlers or styles.
  const std::regex script_tag(R"(<script\b[^>]*>)", std::regex::icase);
  int scripts = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), script_tag);
       it != std::sregex_iterator(); ++it, ++scripts)
    EXPECT_NE(it->str().find("src="), std::string::npos) << it->str();
  EXPECT_GE(scripts, 1);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+\s*=)", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\sstyle\s*=|<style)", std::regex::icase)));
  EXPECT_EQ(html.find("http://"), std::string::npos) << "no external resource";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "no external resource";

  // Every file the page names under /docs/ is served.
  const std::regex local(R"re((?:src|href)="(/docs/[^"]+)")re");
  int files = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), local);
       it != std::sregex_iterator(); ++it, ++files)
    EXPECT_EQ(get(router, (*it)[1].str()).result(), http::Status::ok) << (*it)[1].str();
  EXPECT_GE(files, 2);
}

TEST(OpenApiRoutes, DocsServesOnlyThePageScriptAndStyles) {
  http::Router router;
  add_openapi_routes(router);
  const auto js = get(router, "/docs/apidoc.js");
  EXPECT_EQ(js.result(), http::Status::ok);
  EXPECT_EQ(js[boost::beast::http::field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(get(router, "/docs/apidoc.css").result(), http::Status::ok);
  for (const char* target : {"/docs/openapi.json", "/docs/index.html", "/docs/missing.js",
                             "/docs/..%2Fui%2Fapp.js", "/docs/../openapi.json"}) {
    const auto res = get(router, target);
    EXPECT_EQ(res.result(), http::Status::not_found) << target;
    EXPECT_EQ(res.body(), R"({"detail":"Not Found"})") << target;
  }
}

}  // namespace
}  // namespace rag::web

#include "web/ui.hpp"

#include <boost/beast/http/field.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "web/assets.hpp"

namespace rag::web {
namespace {

namespace asio = boost::asio;
using boost::beast::http::field;

constexpr std::string_view kPrefix = "ui/";
constexpr std::string_view kPage = "index.html";

// True when one of the comma-separated entity tags of If-None-Match is `etag` (or `*`).
// Weak tags (W/"...") compare equal too, as RFC 9110 asks for GET.
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto tag = if_none_match.substr(0, comma);
    if_none_match = comma == std::string_view::npos ? std::string_view{}
                                                    : if_none_match.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

constexpr std::string_view kSiteMeta = R"(<meta name="rag-site" content="">)";

struct Served {
  std::string_view name;  // under ui/
  std::string_view content_type;
  std::string body;
  std::string etag;
};

std::string html_attribute(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

http::Response serve(const Served& served, const http::RequestContext& ctx) {
  const unsigned version = ctx.request.version();
  http::Response res{http::Status::ok, version};
  res.set(field::etag, served.etag);
  res.set(field::cache_control, "no-cache");
  res.set("Content-Security-Policy", kUiContentSecurityPolicy);
  if (etag_matches(ctx.header("If-None-Match"), served.etag)) {
    res.result(http::Status::not_modified);  // no body, no Content-Length
    return res;
  }
  const auto type = served.content_type;
  res.set(field::content_type, boost::beast::string_view(type.data(), type.size()));
  res.body() = served.body;
  res.prepare_payload();
  return res;
}

}  // namespace

std::string asset_etag(std::string_view body) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(hash >> shift) & 15];
  out += '"';
  return out;
}

std::string ui_page(std::string_view index_html, const UiOptions& options) {
  std::string page(index_html);
  const bool usable = options.site_url.starts_with("http://") ||
                      options.site_url.starts_with("https://");
  const auto at = page.find(kSiteMeta);
  if (usable && at != std::string::npos) {
    page.replace(at, kSiteMeta.size(),
                 R"(<meta name="rag-site" content=")" + html_attribute(options.site_url) + R"(">)");
  }
  return page;
}

void add_ui_routes(http::Router& router, const UiOptions& options) {
  // Every embedded file of the page, with its ETag computed once.
  auto files = std::make_shared<std::vector<Served>>();
  for (std::string_view name : {"index.html", "app.js", "app.css", "sse.js", "fragment.js",
                                "render.js", "icon.svg"}) {
    const Asset* asset = find_asset(std::string(kPrefix) + std::string(name));
    if (!asset) continue;
    std::string body = name == kPage ? ui_page(asset->body, options) : std::string(asset->body);
    std::string etag = asset_etag(body);
    files->push_back({name, asset->content_type, std::move(body), std::move(etag)});
  }
  auto find = [files](std::string_view name) -> const Served* {
    for (const auto& f : *files)
      if (f.name == name) return &f;
    return nullptr;
  };
  router.add(http::Verb::get, "/ui",
             [find](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
               const Served* page = find(kPage);
               if (!page)
                 co_return http::error_response(http::Status::not_found, "Not Found",
                                                ctx.request.version());
               co_return serve(*page, ctx);
             });
  router.add(http::Verb::get, "/ui/{file}",
             [find](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
               const Served* file = find(ctx.params["file"]);
               if (!file)
                 co_return http::error_response(http::Status::not_found, "Not Found",
                                                ctx.request.version());
               co_return serve(*file, ctx);
             });
}

}  // namespace rag::web

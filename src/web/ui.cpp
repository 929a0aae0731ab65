#include "web/ui.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <memory>
#include <vector>

#include "common/fnv1a.hpp"
#include "common/html_escape.hpp"
#include "common/text.hpp"
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
    tag = trim(tag, kSpaceTab);
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

// A chunk's text as paragraphs (split at blank lines); line breaks inside one are kept by
// the style sheet (white-space: pre-wrap).
void append_paragraphs(std::string& out, std::string_view text) {
  while (!text.empty()) {
    const auto blank = text.find("\n\n");
    auto para = text.substr(0, blank);
    text = blank == std::string_view::npos ? std::string_view{} : text.substr(blank + 2);
    while (!para.empty() && (para.front() == '\n' || para.front() == ' ')) para.remove_prefix(1);
    while (!para.empty() && (para.back() == '\n' || para.back() == ' ')) para.remove_suffix(1);
    if (para.empty()) continue;
    out += "<p>";
    out += html_escape(para);
    out += "</p>\n";
  }
}

constexpr std::string_view kSourceHead = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="/ui/icon.svg" type="image/svg+xml">
)";

}  // namespace

std::string asset_etag(std::string_view body) {
  Fnv1a hash;
  hash.add_bytes(body);
  return '"' + hash.hex() + '"';
}

void add_source_chunk(SourceDoc& doc, SourceChunk chunk, std::string_view page_title) {
  if (doc.title.empty()) doc.title = page_title;
  doc.chunks.push_back(std::move(chunk));
}

std::string source_page(const SourceDoc& doc, std::string_view style) {
  const std::string title = html_escape(doc.title.empty() ? doc.url : doc.title);
  std::string out(kSourceHead);
  if (!style.empty()) out.append("<style>").append(style).append("</style>\n");
  out += "<title>" + title + " · rag-server</title>\n</head>\n<body class=\"source-page\">\n";
  out += "<header class=\"bar\">\n<div class=\"title\">\n<h1>" + title + "</h1>\n";
  out += "<p class=\"source-url\">" + html_escape(doc.url) +
         " · the text as indexed by this server</p>\n</div>\n";
  out += "<a class=\"back\" href=\"/ui\">Back to the chat</a>\n</header>\n";
  out += "<main class=\"source\">\n";
  const SourceChunk* prev = nullptr;
  for (const auto& chunk : doc.chunks) {
    const bool same_section = prev && prev->section == chunk.section;
    std::string_view text = chunk.text;
    if (same_section) text.remove_prefix(std::min(chunk.overlap, text.size()));
    if (!same_section) {
      if (prev) out += "</section>\n";
      out += "<section>\n";
      if (!chunk.section.empty() && chunk.section != doc.title)
        out += "<h2>" + html_escape(chunk.section) + "</h2>\n";
    }
    out += "<div class=\"chunk\">\n";
    append_paragraphs(out, text);
    out += "</div>\n";
    prev = &chunk;
  }
  if (prev) out += "</section>\n";
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string source_page_csp(std::string_view style) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(style.data(), style.size(), digest, &size, EVP_sha256(), nullptr);
  unsigned char base64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];  // NUL-terminated
  EVP_EncodeBlock(base64, digest, static_cast<int>(size));
  const std::string allowed =
      "style-src 'sha256-" + std::string(reinterpret_cast<const char*>(base64)) + "'";
  std::string csp(kUiContentSecurityPolicy);
  const std::string_view from = "style-src 'self'";
  return csp.replace(csp.find(from), from.size(), allowed);
}

std::string ui_page(std::string_view index_html, const UiOptions& options) {
  std::string page(index_html);
  const bool usable = options.site_url.starts_with("http://") ||
                      options.site_url.starts_with("https://");
  const auto at = page.find(kSiteMeta);
  if (usable && at != std::string::npos) {
    page.replace(at, kSiteMeta.size(),
                 R"(<meta name="rag-site" content=")" + html_escape(options.site_url) + R"(">)");
  }
  return page;
}

namespace {

// GET /ui/source?url=...: the source page, or a JSON 404 (a 503 when the index cannot say). A
// url with a fragment that the index does not know is looked up again without it.
http::Handler source_handler(SourceLookup lookup, std::string_view style) {
  return [lookup = std::move(lookup), style, csp = source_page_csp(style)](
             http::RequestContext& ctx) -> asio::awaitable<http::Response> {
    const unsigned version = ctx.request.version();
    const std::string url = ctx.query_param("url");
    Result<std::optional<SourceDoc>> doc = std::nullopt;
    if (lookup && !url.empty()) {
      doc = lookup(url);
      if (const auto hash = url.find('#'); doc && !*doc && hash != std::string::npos)
        doc = lookup(std::string_view(url).substr(0, hash));
    }
    if (!doc) {
      co_return http::error_response(http::Status::service_unavailable, "Index not loaded",
                                     version);
    }
    if (!*doc) co_return http::error_response(http::Status::not_found, "Not Found", version);
    http::Response res{http::Status::ok, version};
    res.set(field::content_type, "text/html; charset=utf-8");
    res.set(field::cache_control, "no-cache");
    res.set("Content-Security-Policy", csp);
    res.body() = source_page(**doc, style);
    res.prepare_payload();
    co_return res;
  };
}

}  // namespace

void add_ui_routes(http::Router& router, const UiOptions& options) {
  // Every embedded file of the page, with its ETag computed once.
  auto files = std::make_shared<std::vector<Served>>();
  for (std::string_view name : {"index.html", "app.js", "app.css", "sse.js", "fragment.js",
                                "render.js", "markdown.js", "actions.js", "dom.js",
                                "markdown-it.js", "icon.svg"}) {
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
  // Before /ui/{file}, which would take "source" for a file name.
  // The source page carries the chat page's style sheet inline (see source_page()).
  const Asset* style = find_asset(std::string(kPrefix) + "app.css");
  router.add(http::Verb::get, "/ui/source",
             source_handler(options.source_lookup, style ? style->body : std::string_view{}));
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

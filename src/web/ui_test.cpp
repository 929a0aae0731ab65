// GET /ui and /ui/{file}: the page and its files come from the embedded table, with a strict
// CSP, an ETag that turns a revalidation into a 304, and a JSON 404 for anything else. The
// page must work under its own CSP: no inline script, style or event handler, and every file
// it references must be served. GET /ui/source renders a source's indexed text, escaped,
// under the same CSP but for its one inline style sheet, allowed by hash, and is a JSON 404
// for a url the index does not have.
#include "web/ui.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <map>
#include <regex>
#include <set>

#include "common/html_escape.hpp"
#include "web/assets.hpp"

namespace rag::web {
namespace {

namespace asio = boost::asio;
using boost::beast::http::field;

http::Response get(std::string target, std::string if_none_match = "",
                   const UiOptions& options = {}) {
  http::Router router;
  add_ui_routes(router, options);
  asio::io_context ioc;
  http::Request req{http::Verb::get, target, 11};
  if (!if_none_match.empty()) req.set(field::if_none_match, if_none_match);
  http::RequestContext ctx(req, "127.0.0.1");
  auto fut = asio::co_spawn(ioc, router.dispatch(ctx), asio::use_future);
  ioc.run();
  return fut.get();
}

std::string body_of(std::string_view path) {
  const Asset* asset = find_asset(path);
  return asset ? std::string(asset->body) : std::string();
}

TEST(UiRoutes, ServesThePageWithAStrictCsp) {
  for (const char* target : {"/ui", "/ui/", "/ui?site=https://docs.example.org"}) {
    const auto res = get(target);
    ASSERT_EQ(res.result(), http::Status::ok) << target;
    EXPECT_EQ(res[field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(res["Content-Security-Policy"], kUiContentSecurityPolicy);
    EXPECT_EQ(res[field::cache_control], "no-cache");
    EXPECT_EQ(res.body(), body_of("ui/index.html"));
    EXPECT_EQ(res[field::content_length], std::to_string(res.body().size()));
  }
  const std::string csp = kUiContentSecurityPolicy;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
}

TEST(UiRoutes, ServesItsFilesWithTheirTypes) {
  EXPECT_EQ(get("/ui/app.js")[field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/ui/app.css")[field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ(get("/ui/icon.svg")[field::content_type], "image/svg+xml");
  EXPECT_EQ(get("/ui/sse.js").body(), body_of("ui/sse.js"));
}

TEST(UiRoutes, UnknownFilesAreJson404) {
  for (const char* target : {"/ui/nope.js", "/ui/..", "/ui/%2e%2e%2fapidoc%2fopenapi.json",
                             "/ui/openapi.json", "/ui/README.txt"}) {
    const auto res = get(target);
    EXPECT_EQ(res.result(), http::Status::not_found) << target;
    EXPECT_EQ(res.body(), R"({"detail":"Not Found"})") << target;
    EXPECT_EQ(res[field::content_type], "application/json; charset=utf-8");
  }
  EXPECT_EQ(get("/ui/app.js/x").result(), http::Status::not_found);  // two segments: no route
}

TEST(UiRoutes, MatchingETagGivesNotModifiedWithoutBody) {
  const auto first = get("/ui/app.js");
  const std::string etag(first[field::etag]);
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag, asset_etag(body_of("ui/app.js")));
  for (const std::string& header : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    const auto res = get("/ui/app.js", header);
    EXPECT_EQ(res.result(), http::Status::not_modified) << header;
    EXPECT_TRUE(res.body().empty());
    EXPECT_EQ(res[field::etag], etag);
    EXPECT_EQ(res["Content-Security-Policy"], kUiContentSecurityPolicy);
  }
  EXPECT_EQ(get("/ui/app.js", "\"other\"").result(), http::Status::ok);
}

TEST(UiRoutes, ETagsDifferByContent) {
  EXPECT_EQ(asset_etag("abc"), asset_etag("abc"));
  EXPECT_NE(asset_etag("abc"), asset_etag("abd"));
  EXPECT_EQ(asset_etag("").size(), 18u);  // quotes + 16 hex digits
}

TEST(UiPage, HasNoInlineScriptStyleOrHandlers) {
  const std::string page = body_of("ui/index.html");
  ASSERT_FALSE(page.empty());
  // Every <script> has a src; no style element or attribute; no on* handler; no javascript:.
  const std::regex script_tag(R"(<script\b[^>]*>)", std::regex::icase);
  int scripts = 0;
  for (std::sregex_iterator it(page.begin(), page.end(), script_tag), end; it != end; ++it) {
    ++scripts;
    EXPECT_NE(it->str().find("src="), std::string::npos) << it->str();
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_FALSE(std::regex_search(page, std::regex(R"(<style\b|\sstyle=)", std::regex::icase)));
  EXPECT_FALSE(std::regex_search(page, std::regex(R"(\son[a-z]+=)", std::regex::icase)));
  EXPECT_EQ(page.find("javascript:"), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos);  // nothing from another origin
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

TEST(UiPage, EveryReferencedFileIsServed) {
  // References in the page (href/src="/ui/x") and module imports ('./x.js') in the scripts,
  // markdown.js's import of the embedded markdown-it.js (from Debian's libjs-markdown-it) too.
  std::set<std::string> names;
  const std::string page = body_of("ui/index.html");
  const std::regex ref(R"re((?:href|src)="/ui/([^"]+)")re");
  for (std::sregex_iterator it(page.begin(), page.end(), ref), end; it != end; ++it)
    names.insert((*it)[1]);
  const std::regex import(R"re((?:from|import) '\./([^']+)')re");
  for (const char* script : {"ui/app.js", "ui/render.js", "ui/fragment.js", "ui/sse.js",
                             "ui/markdown.js", "ui/actions.js", "ui/dom.js"}) {
    const std::string js = body_of(script);
    ASSERT_FALSE(js.empty()) << script;
    for (std::sregex_iterator it(js.begin(), js.end(), import), end; it != end; ++it)
      names.insert((*it)[1]);
  }
  EXPECT_GE(names.size(), 9u);
  EXPECT_TRUE(names.contains("markdown-it.js"));
  for (const auto& name : names) EXPECT_EQ(get("/ui/" + name).result(), http::Status::ok) << name;
}

TEST(UiPage, SiteUrlGoesEscapedIntoItsMetaTag) {
  const std::string page = body_of("ui/index.html");
  ASSERT_NE(page.find(R"(<meta name="rag-site" content="">)"), std::string::npos);
  EXPECT_EQ(ui_page(page, {}), page);
  EXPECT_EQ(ui_page(page, {.site_url = "javascript:alert(1)"}), page);  // http(s) only
  const auto set = ui_page(page, {.site_url = "https://docs.example.org/?a=1&b=\"<x>"});
  EXPECT_NE(set.find(R"(<meta name="rag-site" content="https://docs.example.org/?a=1&amp;b=&quot;&lt;x&gt;">)"),
            std::string::npos);
  EXPECT_EQ(set.find("<x>"), std::string::npos);

  // The page served with the option carries it, under another ETag.
  http::Router router;
  add_ui_routes(router, {.site_url = "https://docs.example.org/"});
  asio::io_context ioc;
  http::Request req{http::Verb::get, "/ui", 11};
  http::RequestContext ctx(req, "127.0.0.1");
  auto fut = asio::co_spawn(ioc, router.dispatch(ctx), asio::use_future);
  ioc.run();
  const auto res = fut.get();
  EXPECT_NE(res.body().find(R"(content="https://docs.example.org/")"), std::string::npos);
  EXPECT_NE(res[field::etag], get("/ui")[field::etag]);
}

TEST(UiPage, StaysSmall) {
  std::size_t total = 0;
  for (const char* f : {"ui/index.html", "ui/app.js", "ui/app.css", "ui/render.js",
                        "ui/fragment.js", "ui/sse.js", "ui/markdown.js", "ui/actions.js",
                        "ui/dom.js", "ui/icon.svg"})
    total += body_of(f).size();
  EXPECT_LT(total, 48u * 1024u);  // the page's own files, uncompressed (markdown-it.js aside)
}

// --- GET /ui/source ---

// Two sources as the snapshot hands them over: each one's chunks in chunk order.
std::map<std::string, SourceDoc, std::less<>> sample_sources() {
  std::map<std::string, SourceDoc, std::less<>> docs;
  const auto add = [&](std::string text, std::string_view url, std::string_view title,
                       std::string section, std::size_t overlap = 0) {
    auto& doc = docs[std::string(url)];
    doc.url = url;
    add_source_chunk(doc, {std::move(section), std::move(text), overlap}, title);
  };
  add("Intro text.", "/configuration", "Configuration", "Configuration");
  add("Other page.", "/api", "API", "Endpoints");
  add("Set RATE_LIMIT_CHAT.\n\nIt takes N/period.", "/configuration", "Configuration",
      "Rate limits");
  add("It takes N/period.\n\nPer client IP.",  // overlaps the previous chunk
      "/configuration", "Configuration", "Rate limits", 20);
  return docs;
}

UiOptions with_sources(std::map<std::string, SourceDoc, std::less<>> docs) {
  return {.source_lookup =
              [docs = std::move(docs)](std::string_view url) -> Result<std::optional<SourceDoc>> {
    const auto it = docs.find(url);
    if (it == docs.end()) return std::nullopt;
    return it->second;
  }};
}

TEST(SourceChunk, TakesTheFirstTitleGiven) {
  const auto docs = sample_sources();
  const SourceDoc& doc = docs.at("/configuration");
  EXPECT_EQ(doc.title, "Configuration");
  ASSERT_EQ(doc.chunks.size(), 3u);
  EXPECT_EQ(doc.chunks[0].section, "Configuration");
  EXPECT_EQ(doc.chunks[1].text, "Set RATE_LIMIT_CHAT.\n\nIt takes N/period.");
  EXPECT_EQ(doc.chunks[2].section, "Rate limits");

  SourceDoc odd;
  odd.url = "/odd";
  add_source_chunk(odd, {"", "no title"}, "");
  add_source_chunk(odd, {"S", "late title"}, "Late");
  add_source_chunk(odd, {"", "second title"}, "Ignored");
  EXPECT_EQ(odd.title, "Late");  // the first title given
  ASSERT_EQ(odd.chunks.size(), 3u);
  EXPECT_EQ(odd.chunks[1].section, "S");
  EXPECT_EQ(odd.chunks[0].text, "no title");
}

// The chat page's style sheet, which the source page carries inline.
std::string_view app_css() {
  const Asset* css = find_asset("ui/app.css");
  return css ? css->body : std::string_view{};
}

TEST(SourcePage, RendersSectionsAndChunksWithoutRepeatingTheOverlap) {
  const auto page = source_page(sample_sources().at("/configuration"), app_css());
  EXPECT_NE(page.find("<title>Configuration · rag-server</title>"), std::string::npos);
  EXPECT_NE(page.find("<h1>Configuration</h1>"), std::string::npos);
  EXPECT_EQ(page.find("<h2>Configuration</h2>"), std::string::npos);  // the title again: no h2
  EXPECT_NE(page.find("<h2>Rate limits</h2>"), std::string::npos);
  EXPECT_NE(page.find("<style>" + std::string(app_css()) + "</style>\n<title>"), std::string::npos);
  EXPECT_EQ(page.find("rel=\"stylesheet\""), std::string::npos);
  EXPECT_NE(page.find("<p>Set RATE_LIMIT_CHAT.</p>\n<p>It takes N/period.</p>\n</div>\n"
                      "<div class=\"chunk\">\n<p>Per client IP.</p>"),
            std::string::npos)
      << page;
  // Order: intro, then the section.
  EXPECT_LT(page.find("Intro text."), page.find("Set RATE_LIMIT_CHAT."));
  // Under the page's CSP: no script, no style attribute, no handler, one style element.
  EXPECT_FALSE(
      std::regex_search(page, std::regex(R"(<script|\sstyle=|\son[a-z]+=)", std::regex::icase)));
  EXPECT_EQ(page.find("<style"), page.rfind("<style"));
}

// The inline sheet cannot end its element early, nor hold markup.
TEST(SourcePage, TheInlineStyleSheetHoldsNoMarkup) {
  ASSERT_FALSE(app_css().empty());
  EXPECT_EQ(app_css().find('<'), std::string_view::npos);
}

// The policy allows the one inline sheet by its SHA-256 hash, and nothing else changes.
TEST(SourcePage, PolicyAllowsTheInlineStyleByItsHash) {
  // SHA-256("abc"), base64 (FIPS 180-2's first test vector).
  const std::string expected =
      std::regex_replace(kUiContentSecurityPolicy, std::regex("style-src 'self'"),
                         "style-src 'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
  EXPECT_EQ(source_page_csp("abc"), expected);
  EXPECT_NE(expected, kUiContentSecurityPolicy);
}

// What the index records as the overlap is left out, and only that: a paragraph that a page
// really repeats stays.
TEST(SourcePage, LeavesOutTheRecordedOverlapOnly) {
  const SourceDoc doc{
      "T", "/t", {{"S", "Same.\n\nA."}, {"S", "A.\n\nSame.\n\nA."}, {"S", "A.\n\nB.", 4}}};
  const auto page = source_page(doc);
  EXPECT_NE(page.find("<p>Same.</p>\n<p>A.</p>\n</div>\n<div class=\"chunk\">\n<p>A.</p>\n"
                      "<p>Same.</p>\n<p>A.</p>\n</div>\n<div class=\"chunk\">\n<p>B.</p>\n"),
            std::string::npos)
      << page;
}

TEST(SourcePage, EscapesEverythingFromTheIndex) {
  SourceDoc doc{"<b>T</b> & \"q\"", "/p?a=<script>alert('x')</script>",
                {{"<i>sec</i>", "a <img src=x onerror=alert(1)> b\n\n</p><script>x()</script>"}}};
  const auto page = source_page(doc);
  for (const char* raw : {"<b>", "<i>", "<img", "<script", "onerror=alert(1)>", "'x'"})
    EXPECT_EQ(page.find(raw), std::string::npos) << raw;
  EXPECT_NE(page.find("&lt;b&gt;T&lt;/b&gt; &amp; &quot;q&quot;"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  // Without a title the url is the heading.
  EXPECT_NE(source_page({"", "/plain", {}}).find("<h1>/plain</h1>"), std::string::npos);
}

TEST(SourceRoute, ServesTheSourceWithTheCsp) {
  const auto options = with_sources(sample_sources());
  for (const char* target : {"/ui/source?url=/configuration", "/ui/source?url=%2Fconfiguration",
                             "/ui/source?url=%2Fconfiguration%23rate-limits"}) {
    const auto res = get(target, "", options);
    ASSERT_EQ(res.result(), http::Status::ok) << target;
    EXPECT_EQ(res[field::content_type], "text/html; charset=utf-8");
    EXPECT_EQ(res["Content-Security-Policy"], source_page_csp(app_css()));
    EXPECT_EQ(res[field::cache_control], "no-cache");
    EXPECT_NE(res.body().find("<style>" + std::string(app_css()) + "</style>"), std::string::npos);
    EXPECT_NE(res.body().find("Set RATE_LIMIT_CHAT."), std::string::npos);
    EXPECT_EQ(res.body().find("Other page."), std::string::npos);
  }
  EXPECT_NE(get("/ui/source?url=/api", "", options).body().find("Other page."),
            std::string::npos);
}

TEST(SourceRoute, UnknownOrMissingUrlIsJson404) {
  const auto options = with_sources(sample_sources());
  for (const char* target : {"/ui/source?url=/nope", "/ui/source", "/ui/source?url=",
                             "/ui/source?url=configuration", "/ui/source?other=/configuration"}) {
    const auto res = get(target, "", options);
    EXPECT_EQ(res.result(), http::Status::not_found) << target;
    EXPECT_EQ(res.body(), R"({"detail":"Not Found"})") << target;
    EXPECT_EQ(res[field::content_type], "application/json; charset=utf-8");
  }
  // Without a lookup (the default options) every source is unknown.
  EXPECT_EQ(get("/ui/source?url=/configuration").result(), http::Status::not_found);
}

TEST(SourceRoute, AnIndexThatCannotSayIsJson503NotA404) {
  // As when the loaded index was found damaged as it was read (Snapshot::source).
  UiOptions options{.source_lookup = [](std::string_view) -> Result<std::optional<SourceDoc>> {
    return fail(ErrorCode::kIndexUnavailable, "lexical index /x: checksum mismatch");
  }};
  for (const char* target : {"/ui/source?url=/configuration", "/ui/source?url=/api#part"}) {
    const auto res = get(target, "", options);
    EXPECT_EQ(res.result(), http::Status::service_unavailable) << target;
    EXPECT_EQ(res.body(), R"({"detail":"Index not loaded"})") << target;  // no path, no reason
  }
}

TEST(SourceRoute, NeverReflectsTheRequestedUrlUnescaped) {
  // A lookup that knows every url (as an index with a hostile citation_url would).
  UiOptions options{.source_lookup = [](std::string_view url) -> Result<std::optional<SourceDoc>> {
    return SourceDoc{"", std::string(url), {{"", "text"}}};
  }};
  const auto res =
      get("/ui/source?url=%2F%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E%3Cx%20y%3D%27", "",
          options);
  ASSERT_EQ(res.result(), http::Status::ok);
  EXPECT_EQ(res.body().find("<script"), std::string::npos);
  EXPECT_EQ(res.body().find("<x"), std::string::npos);
  EXPECT_NE(res.body().find("/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;x y=&#39;"),
            std::string::npos);
}

}  // namespace
}  // namespace rag::web

// Loaders on real fixtures (tests/fixtures/ingest): HTML like a static-site generator's
// output, MDX with front matter / imports / JSX, a real PDF, plain text, malformed files.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ingest/html_depth.hpp"
#include "ingest/loaders.hpp"
#include "ingest/markdown_prep.hpp"
#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(RAG_INGEST_FIXTURES) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string all_text(const Document& d) {
  std::string out;
  for (const auto& b : d.blocks) out += b.text + "\n";
  return out;
}

TEST(HtmlLoader, ReadsMetaHeadingsParagraphsListsAndPre) {
  auto doc = load_html(fixture("essay.html"));
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->title, "Teaching Programming");
  EXPECT_EQ(doc->description, "Notes on teaching programming to beginners.");
  EXPECT_EQ(doc->published, "2024-03-01");
  EXPECT_EQ(doc->url, "/essays/teaching-programming");
  ASSERT_GE(doc->blocks.size(), 8u);
  EXPECT_EQ(doc->blocks[0].kind, Block::Kind::kHeading);
  EXPECT_EQ(doc->blocks[0].level, 1);
  EXPECT_EQ(doc->blocks[0].text, "Teaching Programming");
  EXPECT_EQ(doc->blocks[2].text, "Fast Feedback");
  EXPECT_EQ(doc->blocks[2].level, 2);
  EXPECT_NE(doc->blocks[4].text.find("start to experiment on their own"), std::string::npos);
  EXPECT_EQ(doc->blocks[5].text,
            "Use an editor with a run button that students can find without help.\n"
            "Show errors next to the line that caused them, in plain language.");
  EXPECT_EQ(doc->blocks[6].kind, Block::Kind::kCode);
  EXPECT_EQ(doc->blocks[6].text, "def greet(name):\n    return \"Hello, \" + name");
  std::string text = all_text(*doc);
  EXPECT_EQ(text.find("analytics"), std::string::npos);
  EXPECT_EQ(text.find("color: black"), std::string::npos);
  EXPECT_EQ(text.find("Essays"), std::string::npos);     // nav
  EXPECT_EQ(text.find("Copyright"), std::string::npos);  // footer
}

TEST(HtmlLoader, FallsBackToTitleTagAndLooseText) {
  auto doc = load_html("<html><head><title> Plain  Page </title></head>"
                       "<body><div>Loose text <b>in</b> a div<br>and more</div></body></html>");
  ASSERT_TRUE(doc);
  EXPECT_EQ(doc->title, "Plain Page");
  ASSERT_EQ(doc->blocks.size(), 1u);
  EXPECT_EQ(doc->blocks[0].text, "Loose text in a div and more");
}

// Found by fuzz/html_loader: gumbo decodes a character reference beyond U+10FFFF into bytes
// that are not UTF-8; every text the loader returns must be valid UTF-8.
TEST(HtmlLoader, CharacterReferencesBeyondUnicodeGiveValidUtf8) {
  // An unterminated reference whose hex digits overflow gumbo's decoder (the fuzzer's input).
  auto doc = load_html(
      "<html><p>unclosed <div><h2>deep<p>bad &#08 "
      "&#x110000eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee<td>ceple><tr><td>cell");
  ASSERT_TRUE(doc) << doc.error().message;
  ASSERT_FALSE(doc->blocks.empty());
  for (const auto& block : doc->blocks) EXPECT_EQ(sanitize_utf8(block.text), block.text);
}

std::string nested(const std::string& open, const std::string& close, std::size_t n) {
  std::string html = "<html><body>";
  for (std::size_t i = 0; i < n; ++i) html += open;
  html += "deep text";
  for (std::size_t i = 0; i < n; ++i) html += close;
  return html + "</body></html>";
}

// Tens of thousands of nested elements once exhausted the stack or the memory of `index`; now
// the file is an error the indexer reports and skips.
TEST(HtmlLoader, NestingBeyondTheBoundIsAnErrorNotACrash) {
  for (const auto& html : {nested("<div>", "</div>", 100000), nested("<div>", "", 100000),
                           nested("<b><i>", "", 50000), nested("<x-a>", "</x-a>", 600)}) {
    auto doc = load_html(html);
    ASSERT_FALSE(doc);
    EXPECT_EQ(doc.error().message, "HTML nested deeper than 512 elements");
  }
  auto fine = load_html(nested("<div>", "</div>", 400));
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_NE(all_text(*fine).find("deep text"), std::string::npos);
}

TEST(HtmlDepth, CountsOnlyElementsThatCanNest) {
  EXPECT_EQ(scan_html_depth("<div><p>a</div>"), 1u);
  EXPECT_EQ(scan_html_depth(nested("<p>", "", 10000)), 0u);  // each <p> closes the one before
  std::string list = "<ul>";
  for (int i = 0; i < 10000; ++i) list += "<li>item<br><img src='a>b'>";
  EXPECT_EQ(scan_html_depth(list + "</ul>"), 1u);
  std::string script = "<script>";
  for (int i = 0; i < 10000; ++i) script += "if(a<b){x=<div>}";
  EXPECT_EQ(scan_html_depth(script + "</SCRIPT><!-- <div><div> --><div/>"), 0u);
  EXPECT_EQ(scan_html_depth("<div></span></span><div>"), 2u);  // stray end tags close nothing
  EXPECT_EQ(scan_html_depth(nested("<section>", "", 100000)), kMaxHtmlDepth + 1);  // stops early
}

TEST(MarkdownLoader, MdxFrontMatterImportsAndJsxDropped) {
  auto doc = load_markdown(fixture("guide.mdx"), true);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->title, "Configuring the Server");
  EXPECT_EQ(doc->description, "Every setting the server reads, with defaults.");
  EXPECT_EQ(doc->published, "2025-01-15");
  EXPECT_EQ(doc->url, "");
  std::string text = all_text(*doc);
  EXPECT_EQ(text.find("import"), std::string::npos);
  EXPECT_EQ(text.find("sidebar"), std::string::npos);
  EXPECT_EQ(text.find("Callout"), std::string::npos);
  EXPECT_EQ(text.find("<Tab"), std::string::npos);
  EXPECT_EQ(text.find("MDX comment"), std::string::npos);
  ASSERT_GE(doc->blocks.size(), 6u);
  EXPECT_EQ(doc->blocks[0].kind, Block::Kind::kHeading);
  EXPECT_EQ(doc->blocks[0].text, "Configuration");
  EXPECT_NE(doc->blocks[1].text.find("then a .env file"), std::string::npos);
  EXPECT_NE(doc->blocks[2].text.find("Never commit the .env file"), std::string::npos);
  EXPECT_EQ(doc->blocks[3].text, "Ports");
  EXPECT_EQ(doc->blocks[3].level, 2);
  // Link text kept, link target dropped.
  EXPECT_NE(doc->blocks[4].text.find("see the networking guide for details"), std::string::npos);
  EXPECT_EQ(doc->blocks[5].kind, Block::Kind::kCode);
  EXPECT_NE(doc->blocks[5].text.find("PORT=9000"), std::string::npos);
}

TEST(MarkdownLoader, MalformedFrontMatterIsAnError) {
  auto doc = load_markdown(fixture("broken_front_matter.md"), false);
  ASSERT_FALSE(doc);
  EXPECT_NE(doc.error().message.find("front matter"), std::string::npos);
  EXPECT_FALSE(load_markdown("---\ntitle: x\nno closing fence\n", false));
}

TEST(MarkdownLoader, ListsEntitiesAndInlineHtml) {
  auto doc = load_markdown("Fish &amp; chips <span>inline</span> text\n\n- one\n- two\n  - nested\n",
                           false);
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->blocks.size(), 2u);
  EXPECT_EQ(doc->blocks[0].text, "Fish & chips inline text");
  EXPECT_EQ(doc->blocks[1].text, "one\ntwo\nnested");
}

TEST(MarkdownPrep, StripMdxLeavesFencedCodeAlone) {
  std::string out = strip_mdx("```js\nimport x from 'y'\n<Foo/>\n```\nimport a from 'b'\n");
  EXPECT_EQ(out, "```js\nimport x from 'y'\n<Foo/>\n```\n");
}

TEST(TextLoader, ParagraphsSplitByBlankLines) {
  auto doc = load_text(fixture("notes.txt"));
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->blocks.size(), 3u);
  EXPECT_EQ(doc->blocks[0].text,
            "Operating notes for the widget server, written for the people who keep it running "
            "at night. These two lines form the first paragraph of this plain text file.");
  EXPECT_EQ(doc->blocks[2].text, "tiny");
  EXPECT_FALSE(load_text(std::string("bin\0ary", 7)));
}

TEST(PdfLoader, ReadsPagesAndTitle) {
  auto doc = load_pdf(fixture("sample.pdf"));
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->title, "Widget Server Manual");
  std::string text = all_text(*doc);
  EXPECT_NE(text.find("Installing the widget server requires a recent compiler"),
            std::string::npos);
  EXPECT_NE(text.find("Page two describes backups."), std::string::npos);
  EXPECT_GE(doc->blocks.size(), 2u);
}

TEST(PdfLoader, GarbageIsAnError) {
  EXPECT_FALSE(load_pdf(fixture("broken.pdf")));
}

TEST(FileKind, ByExtension) {
  EXPECT_EQ(file_kind("a/B.HTML"), FileKind::kHtml);
  EXPECT_EQ(file_kind("x.mdx"), FileKind::kMdx);
  EXPECT_EQ(file_kind("x.md"), FileKind::kMarkdown);
  EXPECT_EQ(file_kind("x.txt"), FileKind::kText);
  EXPECT_EQ(file_kind("x.pdf"), FileKind::kPdf);
  EXPECT_EQ(file_kind("x.png"), FileKind::kUnsupported);
}

}  // namespace
}  // namespace rag::ingest

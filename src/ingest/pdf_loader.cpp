// PDF loader over poppler-cpp: the text of each page in reading order. Paragraphs end at blank
// lines, or after a line that ends a sentence and is clearly shorter than the page's full
// lines (PDF text rarely keeps blank lines). The info dictionary's Title is the title.
#include <poppler-document.h>
#include <poppler-page.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "ingest/loaders.hpp"
#include "ingest/text_util.hpp"

namespace rag::ingest {
namespace {

std::string utf8(const poppler::ustring& s) {
  auto bytes = s.to_utf8();
  return sanitize_utf8(std::string_view(bytes.data(), bytes.size()));
}

void page_paragraphs(std::string_view text, Document& doc) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(trim(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  std::size_t full = 0;
  for (auto l : lines) full = std::max(full, utf8_length(l));
  std::string para;
  auto flush = [&] {
    auto p = collapse_whitespace(para);
    if (!p.empty()) doc.blocks.push_back({Block::Kind::kParagraph, 0, std::move(p)});
    para.clear();
  };
  for (auto l : lines) {
    if (l.empty()) {
      flush();
      continue;
    }
    para.append(l);
    para += ' ';
    char last = l.back();
    bool ends_sentence = last == '.' || last == '!' || last == '?' || last == ':';
    if (ends_sentence && utf8_length(l) * 10 < full * 8) flush();
  }
  flush();
}

void quiet(const std::string&, void*) {}

}  // namespace

Result<Document> load_pdf(std::string_view bytes) {
  static std::once_flag silence;
  std::call_once(silence, [] { poppler::set_debug_error_function(&quiet, nullptr); });
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::kInvalidArgument, "PDF too large");
  }
  std::unique_ptr<poppler::document> pdf(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!pdf) return fail(ErrorCode::kInvalidArgument, "not a readable PDF");
  if (pdf->is_locked()) return fail(ErrorCode::kInvalidArgument, "PDF is encrypted");
  Document doc;
  doc.title = collapse_whitespace(utf8(pdf->info_key("Title")));
  doc.description = collapse_whitespace(utf8(pdf->info_key("Subject")));
  for (int i = 0; i < pdf->pages(); ++i) {
    std::unique_ptr<poppler::page> page(pdf->create_page(i));
    if (!page) continue;
    std::string text =
        utf8(page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout));
    page_paragraphs(text, doc);
  }
  return doc;
}

}  // namespace rag::ingest

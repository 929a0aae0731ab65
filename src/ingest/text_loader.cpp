// Plain-text loader and the extension dispatch (see loaders.hpp).
#include "ingest/loaders.hpp"
#include "ingest/text_util.hpp"

namespace rag::ingest {

FileKind file_kind(const std::filesystem::path& path) {
  const std::string ext = lower(path.extension().string());
  if (ext == ".html" || ext == ".htm") return FileKind::kHtml;
  if (ext == ".md" || ext == ".markdown") return FileKind::kMarkdown;
  if (ext == ".mdx") return FileKind::kMdx;
  if (ext == ".txt" || ext == ".text") return FileKind::kText;
  if (ext == ".pdf") return FileKind::kPdf;
  return FileKind::kUnsupported;
}

Result<Document> load_document(FileKind kind, std::string_view bytes) {
  switch (kind) {
    case FileKind::kHtml: return load_html(bytes);
    case FileKind::kMarkdown: return load_markdown(bytes, false);
    case FileKind::kMdx: return load_markdown(bytes, true);
    case FileKind::kText: return load_text(bytes);
    case FileKind::kPdf: return load_pdf(bytes);
    case FileKind::kUnsupported: break;
  }
  return fail(ErrorCode::kInvalidArgument, "unsupported file type");
}

Result<Document> load_text(std::string_view bytes) {
  if (bytes.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::kInvalidArgument, "binary content in a text file");
  }
  std::string text = sanitize_utf8(bytes);
  Document doc;
  std::string para;
  auto flush = [&] {
    auto p = collapse_whitespace(para);
    if (!p.empty()) doc.blocks.push_back({Block::Kind::kParagraph, 0, std::move(p)});
    para.clear();
  };
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    std::string_view line(text.data() + pos, nl - pos);
    if (trim(line).empty()) {
      flush();
    } else {
      para.append(line);
      para += '\n';
    }
    pos = nl + 1;
  }
  flush();
  return doc;
}

}  // namespace rag::ingest

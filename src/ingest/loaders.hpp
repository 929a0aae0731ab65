// The format loaders: each turns one file's bytes into a Document. Malformed input is an
// error value (the indexer reports and skips the file); no loader throws.
//
// Thread-safety: all functions are pure and may run concurrently.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.hpp"
#include "ingest/document.hpp"

namespace rag::ingest {

enum class FileKind { kHtml, kMarkdown, kMdx, kText, kPdf, kUnsupported };

// By extension (case-insensitive): .html .htm | .md .markdown | .mdx | .txt .text | .pdf.
FileKind file_kind(const std::filesystem::path& path);

// Dispatches on `kind`; `bytes` is the whole file.
Result<Document> load_document(FileKind kind, std::string_view bytes);

// HTML (gumbo): meta title/description/published/url, <title>, h1-h6, p, li, pre; script,
// style, nav, header, footer, noscript, template and svg are skipped.
Result<Document> load_html(std::string_view html);
// Markdown / MDX (md4c; YAML front matter via yaml-cpp). With `mdx`, import/export statements
// and lines that are only JSX tags are dropped; inline JSX/HTML tags are dropped everywhere,
// link text is kept.
Result<Document> load_markdown(std::string_view text, bool mdx);
// Plain text: paragraphs split by blank lines.
Result<Document> load_text(std::string_view text);
// PDF (poppler-cpp): each page's text, paragraphs split by blank lines; Title from the info.
Result<Document> load_pdf(std::string_view bytes);

}  // namespace rag::ingest

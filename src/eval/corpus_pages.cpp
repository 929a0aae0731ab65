// BEIR corpus → Markdown pages (see corpus_pages.hpp).
#include "eval/corpus_pages.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace rag::eval {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::size_t> write_corpus_pages(const fs::path& corpus_jsonl, const fs::path& out_dir) {
  std::ifstream in(corpus_jsonl);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read " + corpus_jsonl.string());
  std::size_t count = 0;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    const auto id = doc.is_object() ? doc.find("_id") : doc.end();
    if (!doc.is_object() || id == doc.end() || !(id->is_string() || id->is_number_integer())) {
      return fail(ErrorCode::kInvalidArgument,
                  corpus_jsonl.string() + ":" + std::to_string(n) + ": expected {\"_id\", ...}");
    }
    const std::string doc_id = id->is_string() ? id->get<std::string>() : id->dump();
    // Checked, not doc.value(): value() throws when the field is there but not a string.
    const auto title_at = doc.find("title");
    const auto text_at = doc.find("text");
    for (const auto& field : {title_at, text_at}) {
      if (field != doc.end() && !field->is_string() && !field->is_null())
        return fail(ErrorCode::kInvalidArgument, corpus_jsonl.string() + ":" + std::to_string(n) +
                                                     ": \"title\" and \"text\" must be strings");
    }
    const auto string_of = [&](json::const_iterator field) {
      return field != doc.end() && field->is_string() ? field->get<std::string>() : std::string();
    };
    const auto title = string_of(title_at);
    const auto text = string_of(text_at);
    const fs::path page = out_dir / (std::to_string(count) + ".md");
    std::ofstream out(page, std::ios::binary);
    // JSON strings are YAML double-quoted scalars: the front matter needs no escaping rules
    // of its own. Replacing invalid UTF-8 keeps a bad byte from failing the whole run.
    const auto quoted = [](const std::string& s) {
      return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    };
    out << "---\ntitle: " << quoted(title) << "\nurl: " << quoted(doc_id) << "\n---\n\n"
        << text << "\n";
    if (!out) return fail(ErrorCode::kIo, "cannot write " + page.string());
    ++count;
  }
  return count;
}

}  // namespace rag::eval

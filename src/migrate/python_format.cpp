// Mapping of the Python design's metadata.json / build_info.json (see python_format.hpp).
#include "migrate/python_format.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/json_depth.hpp"
#include "common/utf8.hpp"

namespace rag::migrate {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Each chunk's metadata is copied and serialised by nlohmann, which recurse once per level:
// a file nested deeper than this is refused before it is parsed.
constexpr int kMaxJsonDepth = 256;

Result<Json> parse_bounded(std::string_view text, const char* file) {
  if (json_depth_violation(text, kMaxJsonDepth) != std::string_view::npos)
    return fail(ErrorCode::kCorrupt, std::string(file) + " is nested deeper than " +
                                         std::to_string(kMaxJsonDepth) + " levels");
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return fail(ErrorCode::kCorrupt, std::string(file) + " is not valid JSON");
  return j;
}

std::string text_of(const Json& obj, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    auto it = obj.find(key);
    if (it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      return it->get<std::string>();
    }
  }
  return {};
}

std::string without_extension(const std::string& source) {
  std::filesystem::path p(source);
  return (p.parent_path() / p.stem()).generic_string();
}

// One chunk's metadata (see python_format.hpp for the fallbacks); the entry's other keys are
// kept in their (sorted) order as the extras. The Python design recorded no overlap.
store::ChunkMetadata map_metadata(const Json& in, const std::string& source,
                                  const std::string& text, std::string hash) {
  store::ChunkMetadata m;
  m.source = source;
  m.length = static_cast<std::int64_t>(utf8_length(text));
  m.content_hash = std::move(hash);
  m.section = text_of(in, {"section"});
  m.section_level = text_of(in, {"section_level"});
  if (m.section_level.empty()) m.section_level = "none";
  m.source_file = text_of(in, {"source_file"});
  if (m.source_file.empty()) m.source_file = source;
  m.citation_url = text_of(in, {"citation_url", "url"});
  if (m.citation_url.empty()) m.citation_url = "/" + without_extension(source);
  m.page_title = text_of(in, {"page_title", "title"});
  if (m.page_title.empty()) m.page_title = std::filesystem::path(source).stem().string();
  m.page_description = text_of(in, {"page_description", "description"});
  m.published = text_of(in, {"published"});
  m.overlap = store::ChunkMetadata::kUnknownOverlap;
  OrderedJson extra = OrderedJson::object();
  for (const auto& [key, value] : in.items()) {
    const bool typed = store::ChunkMetadata::is_field(key) &&
                       (key != "published" || !m.published.empty());  // else kept as it was
    if (key == "chunk_id" || typed) continue;
    extra[key] = value;
  }
  if (!extra.empty()) m.extra_json = extra.dump(-1, ' ', false, Json::error_handler_t::replace);
  return m;
}

}  // namespace

Result<std::vector<ImportedDocument>> map_python_chunks(std::string_view metadata_json,
                                                        const std::vector<std::string>& texts) {
  auto parsed = parse_bounded(metadata_json, "metadata.json");
  if (!parsed) return std::unexpected(parsed.error());
  const Json& entries = *parsed;
  if (!entries.is_array()) return fail(ErrorCode::kInvalidArgument, "metadata.json is not a list");
  if (entries.size() != texts.size()) {
    return fail(ErrorCode::kInvalidArgument, "metadata.json has " + std::to_string(entries.size()) +
                                                 " entries but " + "documents.pkl has " +
                                                 std::to_string(texts.size()) + " texts");
  }
  std::vector<ImportedDocument> docs;
  std::unordered_map<std::string, std::size_t> by_source;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const Json& entry = entries[i];
    if (!entry.is_object()) {
      return fail(ErrorCode::kInvalidArgument,
                  "metadata.json entry " + std::to_string(i) + " is not an object");
    }
    std::string source = text_of(entry, {"source", "source_file"});
    if (source.empty()) source = "imported";
    auto [it, added] = by_source.try_emplace(source, docs.size());
    if (added) {
      docs.emplace_back();
      docs.back().record.path = source;
    }
    ImportedDocument& doc = docs[it->second];
    doc.chunks.push_back({texts[i], map_metadata(entry, source, texts[i], sha256_hex(texts[i]))});
    doc.positions.push_back(i);
  }
  return docs;
}

Result<PythonBuildInfo> parse_python_build_info(std::string_view json) {
  auto parsed = parse_bounded(json, "build_info.json");
  if (!parsed || !parsed->is_object())
    return fail(ErrorCode::kCorrupt, "build_info.json is not a JSON object");
  const Json& j = *parsed;
  PythonBuildInfo info;
  if (auto it = j.find("embedding_dimension"); it != j.end() && it->is_number_integer()) {
    info.embedding_dimension = it->get<int>();
  }
  if (auto it = j.find("total_chunks"); it != j.end() && it->is_number_unsigned()) {
    info.total_chunks = it->get<std::size_t>();
  }
  info.embedding_model =
      text_of(j, {"embedding_model", "embeddings_model", "embedding_deployment", "model"});
  info.build_timestamp = text_of(j, {"build_timestamp"});
  return info;
}

}  // namespace rag::migrate

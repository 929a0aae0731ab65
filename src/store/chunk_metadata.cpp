// Chunk metadata to and from its stored JSON (see chunk_metadata.hpp).
#include "store/chunk_metadata.hpp"

#include <charconv>
#include <cstdint>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/json_text.hpp"

namespace rag::store {
namespace {

using OrderedJson = nlohmann::ordered_json;

// The keys every writer writes, in their stored order; a null member is `length`, the number.
struct Key {
  std::string_view name;
  std::string ChunkMetadata::*text;
};
constexpr Key kKeys[] = {
    {"source", &ChunkMetadata::source},
    {"length", nullptr},
    {"content_hash", &ChunkMetadata::content_hash},
    {"section", &ChunkMetadata::section},
    {"section_level", &ChunkMetadata::section_level},
    {"source_file", &ChunkMetadata::source_file},
    {"citation_url", &ChunkMetadata::citation_url},
    {"page_title", &ChunkMetadata::page_title},
    {"page_description", &ChunkMetadata::page_description},
};
constexpr std::uint16_t kEveryKey = (1u << std::size(kKeys)) - 1;
constexpr std::string_view kPublished = "published";

std::string compact(const OrderedJson& j) {
  return j.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

void append_stored_keys(const ChunkMetadata& m, OrderedJson& j) {
  for (std::size_t i = 0; i < std::size(kKeys); ++i) {
    const bool empty = kKeys[i].text != nullptr ? (m.*kKeys[i].text).empty() : m.length == 0;
    if ((m.absent_keys & (1u << i)) && empty) continue;
    OrderedJson& slot = j[std::string(kKeys[i].name)];
    if (kKeys[i].text != nullptr) {
      slot = m.*kKeys[i].text;
    } else {
      slot = m.length;
    }
  }
  if (!m.published.empty()) j[std::string(kPublished)] = m.published;
  if (m.extra_json.empty()) return;
  auto extra = OrderedJson::parse(m.extra_json, nullptr, /*allow_exceptions=*/false);
  if (!extra.is_object()) return;
  for (auto& [key, value] : extra.items()) j[key] = std::move(value);
}

bool fits_length(const OrderedJson& value) {
  if (!value.is_number_integer()) return false;
  return !value.is_number_unsigned() ||
         value.get<std::uint64_t>() <=
             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
}

// Takes `value` into its typed field; false when `key` is not one of them or the value does not
// fit it (the caller keeps it among the extras).
bool take(ChunkMetadata& m, std::string_view key, const OrderedJson& value) {
  if (key == kPublished) {
    if (!value.is_string() || value.get_ref<const std::string&>().empty()) return false;
    m.published = value.get<std::string>();
    return true;
  }
  for (std::size_t i = 0; i < std::size(kKeys); ++i) {
    if (kKeys[i].name != key) continue;
    if (kKeys[i].text != nullptr) {
      if (!value.is_string()) return false;
      m.*kKeys[i].text = value.get<std::string>();
    } else {
      if (!fits_length(value)) return false;
      m.length = value.get<std::int64_t>();
    }
    m.absent_keys &= static_cast<std::uint16_t>(~(1u << i));
    return true;
  }
  return false;
}

// The typed keys as append_stored_keys() sets them, written directly into `out`, each after a
// comma: what compact() writes for them (ChunkMetadata.ApiTextIsTheApiObjectsDump and
// WritesTheIndexersExactBytes).
void append_typed_keys(const ChunkMetadata& m, std::string& out) {
  const auto key = [&out](std::string_view name) {
    out += ',';
    append_json_text(out, name);
    out += ':';
  };
  for (std::size_t i = 0; i < std::size(kKeys); ++i) {
    const bool empty = kKeys[i].text != nullptr ? (m.*kKeys[i].text).empty() : m.length == 0;
    if ((m.absent_keys & (1u << i)) && empty) continue;
    key(kKeys[i].name);
    if (kKeys[i].text != nullptr) {
      append_json_text(out, m.*kKeys[i].text);
    } else {
      out += std::to_string(m.length);
    }
  }
  if (!m.published.empty()) {
    key(kPublished);
    append_json_text(out, m.published);
  }
}

// A JSON string at text[at] with only the escapes compact() writes (\" \\ \b \f \n \r \t
// \u00XX), decoded into `out`; `at` moves past it. False on anything else.
bool read_plain_string(std::string_view text, std::size_t& at, std::string& out) {
  if (at >= text.size() || text[at] != '"') return false;
  ++at;
  for (;;) {
    std::size_t stop = at;  // (a loop: find_first_of looks each byte up in the set)
    while (stop < text.size() && text[stop] != '"' && text[stop] != '\\') ++stop;
    if (stop == text.size()) return false;
    out.append(text.substr(at, stop - at));
    at = stop + 1;
    if (text[stop] == '"') return true;
    if (at >= text.size()) return false;
    const char escaped = text[at++];
    switch (escaped) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        const auto hex = [](char c) { return c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - '0'; };
        if (text.substr(at, 2) != "00" || at + 4 > text.size()) return false;
        const char high = text[at + 2], low = text[at + 3];
        if (high < '0' || high > '1' ||
            !((low >= '0' && low <= '9') || (low >= 'a' && low <= 'f'))) {
          return false;
        }
        out += static_cast<char>(hex(high) * 16 + hex(low));
        at += 4;
        break;
      }
      default:
        return false;
    }
  }
}

// The stored object in the form `rag-server index` writes it (to_stored_json(): the typed keys
// in their order, no extra keys, no white space), read without building a JSON value; nullopt
// for any other text, which parse() then reads through nlohmann. Accepted only when writing the
// result back gives the same bytes, so both readers agree on every text this one takes (text
// that is not well-formed UTF-8 never does: it is written back with U+FFFD in its faults' place).
std::optional<ChunkMetadata> parse_as_written(std::string_view text) {
  if (text.size() < 2 || text.front() != '{') return std::nullopt;
  ChunkMetadata m;
  m.absent_keys = kEveryKey;
  std::size_t at = 1;
  const auto key = [&](std::string_view name) {
    const bool comma = at > 1;
    const std::size_t from = at + (comma ? 1 : 0);
    if ((comma && text[at] != ',') || text.substr(from, 1) != "\"" ||
        text.substr(from + 1, name.size()) != name ||
        text.substr(from + 1 + name.size(), 2) != "\":") {
      return false;
    }
    at = from + name.size() + 3;
    return true;
  };
  for (std::size_t i = 0; i < std::size(kKeys); ++i) {
    if (at >= text.size() || !key(kKeys[i].name)) continue;
    if (kKeys[i].text != nullptr) {
      if (!read_plain_string(text, at, m.*kKeys[i].text)) return std::nullopt;
    } else {
      const auto [end, error] =
          std::from_chars(text.data() + at, text.data() + text.size(), m.length);
      if (error != std::errc{}) return std::nullopt;
      at = static_cast<std::size_t>(end - text.data());
    }
    m.absent_keys &= static_cast<std::uint16_t>(~(1u << i));
  }
  if (at < text.size() && key(kPublished) && !read_plain_string(text, at, m.published)) {
    return std::nullopt;
  }
  if (m.to_stored_json() != text) return std::nullopt;
  return m;
}

}  // namespace

std::string ChunkMetadata::to_stored_json() const {
  if (!extra_json.empty()) {  // as api_json_text(): extras may take a typed key's place
    OrderedJson j = OrderedJson::object();
    append_stored_keys(*this, j);
    return compact(j);
  }
  std::string out = "{";
  append_typed_keys(*this, out);
  if (out.size() > 1) out.erase(1, 1);  // the first key's comma
  out += '}';
  return out;
}

nlohmann::ordered_json ChunkMetadata::api_json(std::int64_t chunk_id) const {
  OrderedJson j = OrderedJson::object();
  j["chunk_id"] = chunk_id;
  append_stored_keys(*this, j);
  return j;
}

std::string ChunkMetadata::api_json_text(std::int64_t chunk_id) const {
  // Extra keys may repeat a typed one or chunk_id, which then takes its place in the object:
  // left to nlohmann's object, so that both spellings agree.
  if (!extra_json.empty()) return compact(api_json(chunk_id));
  std::string out = "{\"chunk_id\":" + std::to_string(chunk_id);
  append_typed_keys(*this, out);
  out += '}';
  return out;
}

ChunkMetadata ChunkMetadata::parse(std::string_view stored_json) {
  if (auto as_written = parse_as_written(stored_json)) return std::move(*as_written);
  ChunkMetadata m;
  m.absent_keys = kEveryKey;
  auto obj = OrderedJson::parse(stored_json, nullptr, /*allow_exceptions=*/false);
  if (!obj.is_object()) return m;
  OrderedJson extra = OrderedJson::object();
  for (auto& [key, value] : obj.items()) {
    if (key == "chunk_id" || take(m, key, value)) continue;
    extra[key] = std::move(value);
  }
  if (!extra.empty()) m.extra_json = compact(extra);
  return m;
}

bool ChunkMetadata::is_field(std::string_view key) {
  if (key == kPublished) return true;
  for (const Key& k : kKeys) {
    if (k.name == key) return true;
  }
  return false;
}

std::string_view ChunkMetadata::heading() const {
  return section_level == "none" ? std::string_view{} : std::string_view(section);
}

}  // namespace rag::store

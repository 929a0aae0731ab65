// The vector index changes file: writer and checked reader (see vector_changes.hpp).
#include "retrieval/vector_changes.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>

#include "retrieval/section_file.hpp"
#include "store/schema.hpp"

namespace rag::retrieval {

namespace {

inline constexpr section_file::Kind kChangesKind{
    {'R', 'A', 'G', 'V', 'E', 'C', 'C', '\0'}, 2, 10, "vector index changes"};

namespace Section {
enum : std::size_t {
  kStamp,
  kBaseStamp,
  kModel,
  kShape,  // u64: dimension, the base file's size
  kBaseIds,
  kAddedIds,
  kAddedLists,
  kAddedCodes,
  kRows,
  kRowIds,
  kCount
};
}  // namespace Section
static_assert(Section::kCount == kChangesKind.sections);

constexpr std::uint64_t kMaxDimension = 65536;

template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span(v));
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

// Section `id` copied into `out` (the map is released once read: the changes are small).
template <typename T>
Result<void> copy(const section_file::Sections& s, std::size_t id, std::string_view name,
                  std::vector<T>& out) {
  auto view = s.as<T>(id, name);
  if (!view) return std::unexpected(view.error());
  out.assign(view->begin(), view->end());
  return {};
}

// What does not add up in `changes` (the sizes; with_changes checks the ids and lists against
// the base), or null.
const char* disagreement(const StoredVectorChanges& changes) {
  const auto& c = changes.changes;
  const auto added = c.added_ids.size();
  if (changes.dimension <= 0 || static_cast<std::uint64_t>(changes.dimension) > kMaxDimension) {
    return "no dimension";
  }
  if (c.added_lists.size() != added ||
      c.added_codes.size() != added * static_cast<std::size_t>(changes.dimension)) {
    return "added vectors without a list or a code";
  }
  const auto kept =
      static_cast<std::size_t>(std::ranges::count_if(c.base_ids, [](auto id) { return id >= 0; }));
  if (changes.rows.size() != kept + added || changes.row_ids.size() != changes.rows.size()) {
    return "rows for another number of vectors";
  }
  return nullptr;
}

Result<StoredVectorChanges> read(const section_file::Sections& s) {
  static_assert(std::endian::native == std::endian::little, "stored little-endian");
  StoredVectorChanges out;
  out.stamp = s.text(Section::kStamp);
  out.base_stamp = s.text(Section::kBaseStamp);
  out.model = s.text(Section::kModel);
  auto shape = s.as<std::uint64_t>(Section::kShape, "shape");
  if (!shape) return std::unexpected(shape.error());
  const auto corrupt = [](std::string_view why) {
    return fail(ErrorCode::kCorrupt, "vector index changes: " + std::string(why));
  };
  if (shape->size() != 2 || (*shape)[0] == 0 || (*shape)[0] > kMaxDimension) {
    return corrupt("no dimension");
  }
  out.dimension = static_cast<int>((*shape)[0]);
  out.base_size = (*shape)[1];
  auto& c = out.changes;
  RAG_TRY(copy(s, Section::kBaseIds, "base ids", c.base_ids));
  RAG_TRY(copy(s, Section::kAddedIds, "added ids", c.added_ids));
  RAG_TRY(copy(s, Section::kAddedLists, "added lists", c.added_lists));
  RAG_TRY(copy(s, Section::kAddedCodes, "added codes", c.added_codes));
  RAG_TRY(copy(s, Section::kRows, "rows", out.rows));
  RAG_TRY(copy(s, Section::kRowIds, "row ids", out.row_ids));
  if (const auto* why = disagreement(out)) return corrupt(why);
  return out;
}

}  // namespace

std::filesystem::path vector_changes_path(const std::filesystem::path& vector_db_path) {
  return vector_db_path / std::string(store::kVectorChangesFileName);
}

Result<void> save_vector_changes(const StoredVectorChanges& changes,
                                 const std::filesystem::path& file) {
  if (const auto* why = disagreement(changes)) {
    return fail(ErrorCode::kInvalidArgument, std::string("vector index changes: ") + why);
  }
  const auto& c = changes.changes;
  const std::vector<std::uint64_t> shape{static_cast<std::uint64_t>(changes.dimension),
                                         changes.base_size};
  const std::array<std::span<const std::byte>, Section::kCount> sections{
      bytes_of(changes.stamp),  bytes_of(changes.base_stamp), bytes_of(changes.model),
      bytes_of(shape),          bytes_of(c.base_ids),         bytes_of(c.added_ids),
      bytes_of(c.added_lists),  bytes_of(c.added_codes),      bytes_of(changes.rows),
      bytes_of(changes.row_ids)};
  return section_file::write(file, kChangesKind, sections);
}

Result<StoredVectorChanges> load_vector_changes(const std::filesystem::path& file) {
  auto s = section_file::map(file, kChangesKind);
  if (!s) return std::unexpected(s.error());
  auto out = read(*s);
  if (!out) return fail(out.error().code, out.error().message + " (" + file.string() + ")");
  return out;
}

Result<StoredVectorChanges> parse_vector_changes(std::span<const std::byte> bytes,
                                                 bool verify_checksum) {
  auto s = section_file::parse(bytes, kChangesKind, verify_checksum, nullptr);
  if (!s) return std::unexpected(s.error());
  return read(*s);
}

std::string saved_changes_stamp(const std::filesystem::path& file) {
  return section_file::first_section(file, kChangesKind);
}

}  // namespace rag::retrieval

// The import run (see importer.hpp): read and cross-check the four files, write the index into
// a temporary folder through store::IndexWriter, then rename it into place.
#include "migrate/importer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <fstream>
#include <span>
#include <sstream>

#include "migrate/faiss_file.hpp"
#include "migrate/pickle_reader.hpp"
#include "migrate/python_format.hpp"
#include "store/index_writer.hpp"
#include "store/schema.hpp"

namespace rag::migrate {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTempPrefix = ".import-faiss-";
constexpr std::size_t kEmbeddingBatch = 1024;
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{4} << 30;  // per JSON / pickle file

// Everything read from the Python design's folder, cross-checked.
struct PythonIndex {
  std::vector<std::string> texts;
  std::vector<ImportedDocument> documents;
  FaissVectors vectors;
  PythonBuildInfo build_info;
};

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return fail(ErrorCode::kNotFound, "no " + path.string());
  if (fs::file_size(path, ec) > kMaxInputBytes) {
    return fail(ErrorCode::kInvalidArgument, path.string() + " is larger than 4 GiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in || in.bad()) return fail(ErrorCode::kIo, "cannot read " + path.string());
  return std::move(ss).str();
}

Error prefixed(const std::string& prefix, Error e) {
  e.message = prefix + e.message;
  return e;
}

// build_info.json is optional: the counts and dimension it states are checked when present.
Result<PythonBuildInfo> read_build_info_if_any(const fs::path& dir) {
  std::error_code ec;  // set when the folder cannot be looked into: read_file then says why
  if (!fs::exists(dir / "build_info.json", ec) && !ec) {
    spdlog::warn("no build_info.json in {}: importing without it", dir.string());
    return PythonBuildInfo{};
  }
  auto text = read_file(dir / "build_info.json");
  if (!text) return std::unexpected(text.error());
  return parse_python_build_info(*text);
}

Result<PythonIndex> read_python_index(const fs::path& dir) {
  PythonIndex p;
  for (const char* name : {"vector.index", "metadata.json", "documents.pkl"}) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / name, ec)) {
      return fail(ErrorCode::kNotFound, "no " + (dir / name).string() +
                                            " (expected the Python design's vector_db/ folder)");
    }
  }
  auto pickle = read_file(dir / "documents.pkl");
  if (!pickle) return std::unexpected(pickle.error());
  auto texts = read_pickled_str_list(*pickle);
  if (!texts) return std::unexpected(prefixed("documents.pkl: ", texts.error()));
  p.texts = std::move(*texts);

  auto info = read_build_info_if_any(dir);
  if (!info) return std::unexpected(info.error());
  p.build_info = std::move(*info);

  auto vectors = read_faiss_vectors(dir / "vector.index");
  if (!vectors) return std::unexpected(vectors.error());
  p.vectors = std::move(*vectors);

  auto metadata = read_file(dir / "metadata.json");
  if (!metadata) return std::unexpected(metadata.error());
  const std::size_t n = p.vectors.count;
  const std::string counts = "the files disagree: vector.index has " + std::to_string(n) +
                             " vectors, documents.pkl " + std::to_string(p.texts.size()) + " texts";
  if (p.texts.size() != n) return fail(ErrorCode::kInvalidArgument, counts);
  if (p.build_info.total_chunks && *p.build_info.total_chunks != n) {
    return fail(ErrorCode::kInvalidArgument, counts + ", build_info.json " +
                                                 std::to_string(*p.build_info.total_chunks) +
                                                 " total_chunks");
  }
  auto docs = map_python_chunks(*metadata, p.texts);
  if (!docs) {
    const bool count_error = docs.error().message.find(" entries but ") != std::string::npos;
    return std::unexpected(prefixed(count_error ? counts + "; " : "", docs.error()));
  }
  if (p.build_info.embedding_dimension &&
      *p.build_info.embedding_dimension != p.vectors.dimension) {
    return fail(ErrorCode::kInvalidArgument, "the files disagree: vector.index has dimension " +
                                                 std::to_string(p.vectors.dimension) +
                                                 ", build_info.json says " +
                                                 std::to_string(*p.build_info.embedding_dimension));
  }
  if (n == 0) {
    return fail(ErrorCode::kInvalidArgument, "vector.index holds no vectors: nothing to import");
  }
  p.documents = std::move(*docs);
  return p;
}

Result<std::string> choose_model(const ImportOptions& o, const PythonBuildInfo& info) {
  std::string model = !o.model.empty() ? o.model : o.configured_model;
  if (model.empty()) model = info.embedding_model;
  if (model.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "no embedding model name to record: configure the embeddings upstream the server "
                "will use (AZURE_OPENAI_EMBEDDINGS_ENDPOINT, or OPENAI_BASE_URL with "
                "EMBEDDINGS_MODEL) or pass --model NAME");
  }
  if (!info.embedding_model.empty() && info.embedding_model != model) {
    spdlog::info(
        "build_info.json names the model '{}'; the index records '{}', the name the "
        "server compares with its embeddings upstream",
        info.embedding_model, model);
  }
  return model;
}

// Removes `.import-faiss-PID` folders of imports that are no longer running (killed ones).
void remove_stale_temp_dirs(const fs::path& out) {
  std::error_code ec;
  // increment(ec), not ++: a failed read of the folder ends the sweep instead of throwing.
  for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kTempPrefix)) continue;
    const long pid = std::strtol(name.c_str() + kTempPrefix.size(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;
    spdlog::info("removing {} left by an interrupted import", entry.path().string());
    std::error_code removing;
    if (fs::remove_all(entry.path(), removing); removing)
      spdlog::warn("could not remove {}: {}", entry.path().string(), removing.message());
  }
}

// The temporary folder of this import: deleted with whatever is left in it when the import
// ends, whether it succeeded (the index was moved out) or failed (a half index is discarded).
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  ~TempDir() {
    std::error_code ec;
    if (fs::remove_all(path_, ec); ec)
      spdlog::warn("could not remove {}: {}; the next import removes it", path_.string(),
                   ec.message());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Writes the whole index into `dir` (a fresh folder).
Result<void> write_index(const fs::path& dir, const PythonIndex& p, const std::string& model) {
  auto opened = store::IndexWriter::open(dir);
  if (!opened) return std::unexpected(opened.error());
  store::IndexWriter& w = **opened;
  std::vector<std::size_t> order;  // FAISS id of each inserted chunk, in row order
  RAG_TRY(w.begin_batch());
  for (const auto& doc : p.documents) {
    RAG_TRY(w.replace_document(doc.record, doc.chunks, model));
    order.insert(order.end(), doc.positions.begin(), doc.positions.end());
  }
  RAG_TRY(w.commit_batch());
  auto rows = w.chunks_needing_embedding(model);
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() != order.size()) {
    return fail(ErrorCode::kInternal, "the new index has " + std::to_string(rows->size()) +
                                          " rows for " + std::to_string(order.size()) + " chunks");
  }
  const auto d = static_cast<std::size_t>(p.vectors.dimension);
  for (std::size_t start = 0; start < order.size(); start += kEmbeddingBatch) {
    const std::size_t end = std::min(order.size(), start + kEmbeddingBatch);
    std::vector<std::int64_t> ids;
    std::vector<std::vector<float>> vectors;
    for (std::size_t i = start; i < end; ++i) {
      if ((*rows)[i].text != p.texts[order[i]]) {
        return fail(ErrorCode::kInternal,
                    "row order of the new index differs from insertion order");
      }
      ids.push_back((*rows)[i].row_id);
      const float* v = p.vectors.data.data() + order[i] * d;
      vectors.emplace_back(v, v + d);
    }
    RAG_TRY(w.store_embeddings(ids, vectors, model));
  }
  RAG_TRY(w.finish());
  return {};
}

void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Moves the finished index from `tmp` into `out` (see importer.hpp).
Result<void> install(const fs::path& tmp, const fs::path& out, bool force) {
  const fs::path index = out / std::string(store::kIndexFileName);
  const fs::path build_info = out / std::string(store::kBuildInfoFileName);
  std::error_code ec;
  const bool had_index = fs::exists(index, ec);
  if (had_index && !force) {
    return fail(ErrorCode::kInvalidArgument, index.string() + " appeared during the import");
  }
  if (!had_index && fs::exists(build_info, ec) && !fs::exists(out / "build_info.python.json", ec)) {
    fs::copy_file(build_info, out / "build_info.python.json", ec);
    if (ec) return fail(ErrorCode::kIo, "cannot keep the Python build_info.json: " + ec.message());
  }
  // A journal beside the target belongs to the database being replaced (or to none): never let
  // SQLite replay it into the new file.
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    fs::remove(fs::path(index.string() + suffix), ec);
  }
  fs::rename(tmp / std::string(store::kIndexFileName), index, ec);
  if (ec) {
    return fail(ErrorCode::kIo,
                "cannot move the new index into " + index.string() + ": " + ec.message());
  }
  fs::rename(tmp / std::string(store::kBuildInfoFileName), build_info, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot write " + build_info.string() + ": " + ec.message());
  sync_dir(out);
  return {};
}

}  // namespace

std::string ImportSummary::describe() const {
  return "imported " + std::to_string(chunks) + " chunks (" + std::to_string(documents) +
         " documents), dimension " + std::to_string(dimension) + ", model '" + model + "', from " +
         index_type + " into " + index_file.string();
}

Result<ImportSummary> import_faiss(const ImportOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.source_dir, ec)) {
    return fail(ErrorCode::kNotFound, o.source_dir.string() + " is not a folder");
  }
  const fs::path index = o.out_dir / std::string(store::kIndexFileName);
  if (fs::exists(index, ec) && !o.force) {
    return fail(ErrorCode::kInvalidArgument,
                index.string() + " already exists; pass --force to replace it");
  }
  auto p = read_python_index(o.source_dir);
  if (!p) return std::unexpected(p.error());
  auto model = choose_model(o, p->build_info);
  if (!model) return std::unexpected(model.error());
  ImportSummary s;
  s.chunks = p->vectors.count;
  s.documents = p->documents.size();
  s.dimension = p->vectors.dimension;
  s.model = *model;
  s.index_type = p->vectors.index_type;
  s.non_unit_vectors = count_non_unit_rows(p->vectors);
  s.index_file = index;
  if (s.non_unit_vectors > 0) {
    spdlog::warn(
        "{} of {} vectors are not of unit length: rag-server ranks by cosine "
        "similarity, which differs from {}'s raw {} ranking for them",
        s.non_unit_vectors, s.chunks, s.index_type,
        p->vectors.inner_product ? "inner-product" : "L2");
  }

  fs::create_directories(o.out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot create " + o.out_dir.string() + ": " + ec.message());
  remove_stale_temp_dirs(o.out_dir);
  TempDir tmp(o.out_dir / (std::string(kTempPrefix) + std::to_string(::getpid())));
  fs::remove_all(tmp.path(), ec);
  spdlog::info("writing {} chunks of {} documents into {}", s.chunks, s.documents,
               tmp.path().string());
  RAG_TRY(write_index(tmp.path(), *p, *model));
  RAG_TRY(install(tmp.path(), o.out_dir, o.force));
  return s;
}

}  // namespace rag::migrate

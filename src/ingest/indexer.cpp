// The incremental index run (see indexer.hpp). Files phase: per file, stat → skip when
// mtime/size are unchanged; else hash the bytes → only the stat is updated when the content
// is unchanged; else load, split and replace the document's chunks. Documents whose files are
// gone are removed. Then the embeddings phase (embed_phase.cpp) and build_info.json.
#include "ingest/indexer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include "ingest/chunk_metadata.hpp"
#include "ingest/embed_phase.hpp"
#include "ingest/file_walker.hpp"
#include "ingest/loaders.hpp"
#include "ingest/progress.hpp"
#include "store/index_writer.hpp"
#include "upstream/embedder.hpp"

namespace rag::ingest {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, "cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, "read error");
  return std::move(ss).str();
}

std::vector<store::NewChunk> make_chunks(const Document& doc, const SourceFile& file,
                                         const SplitOptions& options) {
  ChunkContext ctx;
  ctx.source = file.source;
  ctx.citation_url = doc.url.empty() ? citation_path(file.root, file.path) : doc.url;
  ctx.page_title = page_title(doc, file.path);
  ctx.doc = &doc;
  std::vector<store::NewChunk> out;
  for (const SplitChunk& c : split(doc, options)) {
    out.push_back({c.text, chunk_metadata(c, ctx, sha256_hex(c.text))});
  }
  return out;
}

// The files phase over an open writer; batches are committed as they fill.
class FilesPhase {
 public:
  FilesPhase(store::IndexWriter& w, const IndexOptions& o, std::string model, IndexSummary& s)
      : w_(w), o_(o), model_(std::move(model)), s_(s) {}

  Result<void> run(const std::vector<SourceFile>& files, Progress& progress) {
    auto existing = w_.document_paths();
    if (!existing) return std::unexpected(existing.error());
    std::set<std::string> seen;
    for (std::size_t i = 0; i < files.size(); ++i) {
      const SourceFile& f = files[i];
      if (file_kind(f.path) == FileKind::kUnsupported) {
        spdlog::info("skipping {} (unsupported file type)", f.path.string());
        ++s_.files_skipped;
      } else {
        seen.insert(f.source);
        ++s_.files_seen;
        if (auto r = one_file(f); !r) return r;
      }
      progress.update("files", i + 1, files.size(),
                      std::to_string(s_.chunks_added + s_.chunks_kept) + " chunks");
    }
    for (const auto& path : *existing) {
      if (seen.count(path)) continue;
      if (auto r = ensure_batch(); !r) return r;
      auto removed = w_.remove_document(path);
      if (!removed) return std::unexpected(removed.error());
      ++s_.files_removed;
      s_.chunks_removed += *removed;
      spdlog::info("removed {} ({} chunks): no longer present", path, *removed);
    }
    return commit();
  }

 private:
  Result<void> one_file(const SourceFile& f) {
    std::error_code ec;
    auto size = fs::file_size(f.path, ec);
    auto mtime = fs::last_write_time(f.path, ec);
    if (ec) return skip_failed(f, ec.message());
    store::DocumentRecord rec{f.source, "",
                              std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  mtime.time_since_epoch()).count(),
                              static_cast<std::int64_t>(size)};
    auto state = w_.find_document(f.source);
    if (!state) return std::unexpected(state.error());
    if (*state && (*state)->record.mtime_ns == rec.mtime_ns && (*state)->record.size == rec.size) {
      ++s_.files_unchanged;
      s_.chunks_kept += (*state)->chunk_count;
      return {};
    }
    auto bytes = read_file(f.path);
    if (!bytes) return skip_failed(f, bytes.error().message);
    rec.content_sha256 = sha256_hex(*bytes);
    if (auto r = ensure_batch(); !r) return r;
    if (*state && (*state)->record.content_sha256 == rec.content_sha256) {
      ++s_.files_unchanged;
      s_.chunks_kept += (*state)->chunk_count;
      return w_.update_document_stat(rec);
    }
    auto doc = load_document(file_kind(f.path), *bytes);
    if (!doc) return skip_failed(f, doc.error().message);
    auto chunks = make_chunks(*doc, f, o_.split);
    auto stats = w_.replace_document(rec, chunks, model_);
    if (!stats) return std::unexpected(stats.error());
    ++s_.files_indexed;
    s_.chunks_added += stats->added;
    s_.chunks_kept += stats->kept;
    s_.chunks_removed += stats->removed;
    s_.embeddings_reused += stats->embeddings_reused;
    pending_chunks_ += chunks.size() + 1;
    if (pending_chunks_ >= o_.batch_chunks) return commit();
    return {};
  }

  Result<void> skip_failed(const SourceFile& f, const std::string& why) {
    spdlog::warn("skipping {}: {}", f.path.string(), why);
    ++s_.files_failed;
    return {};
  }
  Result<void> ensure_batch() {
    if (open_) return {};
    auto r = w_.begin_batch();
    open_ = r.has_value();
    return r;
  }
  Result<void> commit() {
    if (!open_) return {};
    open_ = false;
    pending_chunks_ = 0;
    return w_.commit_batch();
  }

  store::IndexWriter& w_;
  const IndexOptions& o_;
  std::string model_;
  IndexSummary& s_;
  bool open_ = false;
  std::size_t pending_chunks_ = 0;
};

}  // namespace

Result<IndexSummary> run_index(const IndexOptions& options, EmbeddingSetup embedding,
                               Progress& progress) {
  const auto start = std::chrono::steady_clock::now();
  RAG_TRY(validate(options.split));
  if (options.paths.empty()) return fail(ErrorCode::kInvalidArgument, "no PATH to index");
  auto files = collect_files(options.paths, options.exclude);
  if (!files) return std::unexpected(files.error());
  auto writer = store::IndexWriter::open(options.vector_db_path);
  if (!writer) return std::unexpected(writer.error());

  IndexSummary summary;
  std::string model = embedding.embedder ? embedding.embedder->model_name() : std::string();
  FilesPhase files_phase(**writer, options, model, summary);
  if (auto r = files_phase.run(*files, progress); !r) {
    progress.done();
    return std::unexpected(r.error());
  }
  progress.done();

  if (embedding.embedder && embedding.io) {
    auto made = embed_missing(**writer, *embedding.embedder, *embedding.io,
                              {options.embed_batch_size, options.embed_concurrency}, progress);
    progress.done();
    if (!made) return std::unexpected(made.error());
    summary.embeddings_made = made->made;
    summary.embedding_error = made->error;
  }
  auto info = (*writer)->finish();
  if (!info) return std::unexpected(info.error());
  summary.total_documents = info->total_documents;
  summary.total_chunks = info->total_chunks;
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

std::string IndexSummary::describe() const {
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.2f s", seconds);
  std::string out = "indexed " + std::to_string(files_seen) + " files (" +
                    std::to_string(files_indexed) + " new or changed, " +
                    std::to_string(files_unchanged) + " unchanged, " +
                    std::to_string(files_removed) + " removed, " +
                    std::to_string(files_failed) + " failed, " + std::to_string(files_skipped) +
                    " unsupported skipped); chunks: " + std::to_string(chunks_added) +
                    " added, " + std::to_string(chunks_kept) + " kept, " +
                    std::to_string(chunks_removed) + " removed; embeddings: " +
                    std::to_string(embeddings_made) + " made, " +
                    std::to_string(embeddings_reused) + " reused; index: " +
                    std::to_string(total_documents) + " documents, " +
                    std::to_string(total_chunks) + " chunks; time " + rate;
  return out;
}

}  // namespace rag::ingest

// One run of `rag-server index`: walks the given files and folders (sorted, deterministic),
// loads and splits what changed, stores it in batches (one transaction each), removes
// documents no longer present, optionally embeds every chunk lacking a vector, and writes
// build_info.json. Unsupported files are skipped with a log line; unreadable or malformed
// ones are reported and skipped (their previous chunks, if any, stay).
//
// Thread-safety: run_index() runs on the calling thread; with an embedder it runs the given
// io_context on that thread until the embeddings are done.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "ingest/splitter.hpp"

namespace boost::asio {
class io_context;
}
namespace rag::upstream {
class Embedder;
}

namespace rag::ingest {

class Progress;

struct IndexOptions {
  std::vector<std::filesystem::path> paths;
  std::vector<std::string> exclude;  // --exclude globs (file_walker.hpp: is_excluded)
  std::filesystem::path vector_db_path = "vector_db";
  SplitOptions split;
  int embed_batch_size = 16;   // EMBED_BATCH_SIZE: texts per embed() call
  int embed_concurrency = 4;   // EMBED_CONCURRENCY: embed() calls in flight
  std::size_t batch_chunks = 512;  // chunks per store transaction (a document is never split)
};

// The embeddings side: both null for a lexical-only run.
struct EmbeddingSetup {
  upstream::Embedder* embedder = nullptr;
  boost::asio::io_context* io = nullptr;  // embedder's executor runs here
};

struct IndexSummary {
  std::size_t files_seen = 0;       // supported files found
  std::size_t files_indexed = 0;    // new or changed, stored
  std::size_t files_unchanged = 0;
  std::size_t files_skipped = 0;    // unsupported type
  std::size_t files_failed = 0;     // unreadable or malformed
  std::size_t files_removed = 0;
  std::size_t chunks_added = 0;
  std::size_t chunks_kept = 0;
  std::size_t chunks_removed = 0;
  std::size_t embeddings_made = 0;
  std::size_t embeddings_reused = 0;
  std::size_t total_documents = 0;
  std::size_t total_chunks = 0;
  double seconds = 0;
  std::string embedding_error;  // non-empty when embedding failed (the lexical index is saved)

  std::string describe() const;  // the summary line(s)
};

// Fatal errors only (a PATH that does not exist, the store cannot be written, bad options).
Result<IndexSummary> run_index(const IndexOptions& options, EmbeddingSetup embedding,
                               Progress& progress);

}  // namespace rag::ingest

// The embeddings phase of an index run: every chunk without a vector from the embedder's
// model is embedded, EMBED_BATCH_SIZE texts per call with up to EMBED_CONCURRENCY calls in
// flight on the given io_context, and each answered batch is stored in its own transaction
// (an interrupted run keeps what was stored; the next run embeds the rest).
//
// Thread-safety: runs `io` on the calling thread until done; the writer is only touched from
// that thread.
#pragma once

#include <cstddef>
#include <string>

#include "common/result.hpp"

namespace boost::asio {
class io_context;
}
namespace rag::upstream {
class Embedder;
}
namespace rag::store {
class IndexWriter;
}

namespace rag::ingest {

class Progress;

struct EmbedLimits {
  int batch_size = 16;
  int concurrency = 4;
};

struct EmbedOutcome {
  std::size_t made = 0;
  std::string error;  // the upstream failure that stopped the phase; empty on success
};

// Store failures are errors; an upstream failure ends the phase early and is reported in
// EmbedOutcome::error (the vectors stored so far stay).
Result<EmbedOutcome> embed_missing(store::IndexWriter& writer, upstream::Embedder& embedder,
                                   boost::asio::io_context& io, EmbedLimits limits,
                                   Progress& progress);

}  // namespace rag::ingest
